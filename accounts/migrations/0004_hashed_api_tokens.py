"""API tokens hashed at rest: keep sha256(key) and a display prefix, add expiry and revocation.

Existing plain keys are hashed in place, so clients holding them keep working; they get the
default lifetime from now (SLRWEB_API_TOKEN_DAYS) instead of living forever.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def hash_plain_keys(apps, schema_editor):
    token_model = apps.get_model("accounts", "ApiToken")
    days = getattr(settings, "SLRWEB_API_TOKEN_DAYS", 90)
    expires = timezone.now() + timedelta(days=days) if days else None
    for token in token_model.objects.all():
        token.key_hash = hashlib.sha256(token.key.encode()).hexdigest()
        token.prefix = token.key[:8]
        token.expires = expires
        token.save(update_fields=["key_hash", "prefix", "expires"])


def forget_tokens(apps, schema_editor):
    # Going back cannot bring the plain keys back: the tokens are gone, users make new ones.
    apps.get_model("accounts", "ApiToken").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_preference")]

    operations = [
        migrations.AddField(
            model_name="apitoken", name="key_hash",
            field=models.CharField(max_length=64, null=True, editable=False,
                                   verbose_name="key sha256"),
        ),
        migrations.AddField(
            model_name="apitoken", name="prefix",
            field=models.CharField(max_length=8, default="", editable=False,
                                   verbose_name="key prefix"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="apitoken", name="expires",
            field=models.DateTimeField(blank=True, null=True, verbose_name="expires"),
        ),
        migrations.AddField(
            model_name="apitoken", name="revoked",
            field=models.DateTimeField(blank=True, null=True, verbose_name="revoked"),
        ),
        migrations.RunPython(hash_plain_keys, forget_tokens),
        migrations.RemoveField(model_name="apitoken", name="key"),
        migrations.AlterField(
            model_name="apitoken", name="key_hash",
            field=models.CharField(max_length=64, unique=True, editable=False,
                                   verbose_name="key sha256"),
        ),
        migrations.AlterModelOptions(
            name="apitoken",
            options={"ordering": ["-created"], "verbose_name": "API token",
                     "verbose_name_plural": "API tokens"},
        ),
    ]
