# A small image: the gateway, its flows, catalogs and area data; no compilers, no test tools.
# The build stage only packs the gateway into a wheel; every dependency comes from the lock.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway ./gateway
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 GATEWAY_LOG_FORMAT=json
RUN useradd --create-home --uid 10001 gateway
# The dependencies are requirements.lock, hash-checked, before the gateway's code so that a code
# change reuses this layer. They are the versions CI tested (requirements-dev.lock pins the same).
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock
# The gateway wheel brings nothing the lock did not pin; `pip check` stops a lock that lacks one.
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/*.whl && rm -rf /wheels && pip check
WORKDIR /app
# Flows, catalogs and the area list are data the package reads from beside itself (Settings).
COPY flows ./flows
COPY locales ./locales
COPY data ./data
ENV GATEWAY_FLOWS_DIR=/app/flows GATEWAY_LOCALES_DIR=/app/locales GATEWAY_AREAS_CSV=/app/data/areas/border_areas.csv
USER gateway
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["gateway", "serve", "--host", "0.0.0.0", "--port", "8000"]
