"""Webhooks: an API user registers URLs and gets a signed JSON POST when one of their jobs ends.

The receiver verifies `X-Slrweb-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body under
the webhook's secret (shown once, when the webhook is created). Deliveries run as Celery tasks,
retried with exponential backoff; every try is logged (admin: Webhook deliveries). URLs that
resolve to private, loopback or link-local addresses are refused at registration and again at
every delivery, unless SLRWEB_WEBHOOK_ALLOW_PRIVATE=1.
"""
