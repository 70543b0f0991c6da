# One image for web and workers; the command picks the role (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 make \
    && rm -rf /var/lib/apt/lists/*
# The processes run as this unprivileged user; only var/ and the media volume are writable.
RUN useradd --create-home --uid 10001 --user-group slrweb
WORKDIR /app
COPY . /app
RUN pip install -e . && pip install --no-deps mediapipe==0.10.21
# The browser's Holistic for privacy mode (npm tarball, integrity-checked; frontend/vendor.py).
# A build without access to registry.npmjs.org still succeeds, with the switch off.
RUN slrweb vendor || true
# Static files are part of the image (whitenoise serves them from var/static in every web
# container); the dev settings only stand in for the build step, which needs no secrets.
RUN DJANGO_SETTINGS_MODULE=slrweb.settings.dev python manage.py collectstatic --noinput \
    && mkdir -p /data/media \
    && chown -R slrweb:slrweb /app/var /data/media
USER slrweb
# Production settings refuse to start without DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS.
ENV DJANGO_SETTINGS_MODULE=slrweb.settings.prod SLRWEB_MEDIA_ROOT=/data/media
EXPOSE 8000
# No --proxy-headers here: Daphne trusts X-Forwarded-* only behind the compose file's proxy.
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "slrweb.asgi:application"]
