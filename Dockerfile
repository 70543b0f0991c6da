# One image for web and workers; the command picks the role (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . /app
RUN pip install -e . && pip install --no-deps mediapipe==0.10.21
ENV DJANGO_SETTINGS_MODULE=slrweb.settings.prod
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "slrweb.asgi:application"]
