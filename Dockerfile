# Trainyard: one image for the API (node dist/server.js), the training worker
# (node dist/worker/main.js) and both in one process (the default command).
#
#   docker build -t trainyard .
#   docker build --build-arg TFJS_NODE_CDN_STORAGE=https://mirror.example/ -t trainyard .
#
# Training and the predictions of the models it makes run on the OpenBLAS addon (native/),
# compiled in the build stage; the runtime image carries only the addon and Debian's
# libopenblas0-pthread.
#
# TFJS_NODE_CDN_STORAGE: a mirror of Google's storage bucket (ending in "/") that serves
# tensorflow/libtensorflow/... and tf-builds/pre-built-binary/...; with it the optional
# @tensorflow/tfjs-node is installed and TensorFlow.js (models the addon cannot run, and
# INFERENCE_BACKEND=tfjs) uses the native TensorFlow backend. Without it the package is
# dropped and TensorFlow.js runs on the wasm backend.

FROM node:22-bookworm-slim AS base
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# ---- build: all dependencies, the addon, TypeScript -> dist/ ----
FROM base AS build
# The addon's toolchain (node-gyp needs Python) and OpenBLAS's headers: build stage only.
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       build-essential python3 libopenblas-dev >/dev/null \
    && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Only node-gyp, tsc and vite run here, so no install script is needed (tfjs-node's would try to download).
RUN npm ci --ignore-scripts && npm cache clean --force
COPY native/binding.gyp native/build.mjs ./native/
COPY native/src ./native/src
# --required: an image whose addon did not build would quietly train on wasm.
RUN node native/build.mjs --required
COPY tsconfig.json vite.config.ts ./
COPY src ./src
COPY web ./web
RUN npm run build

# ---- deps: production dependencies only ----
FROM base AS deps
ARG TFJS_NODE_CDN_STORAGE=
COPY package.json package-lock.json ./
# tfjs-node's install script fetches libtensorflow and its prebuilt addon. Without a mirror it
# is pointed at a closed local port so that it fails at once, whatever the network does (it
# has no timeout of its own); npm then drops the optional package. --omit=optional is not
# used: it would also drop sharp's prebuilt binaries (@img/sharp-linux-x64 and its libvips).
# Source maps (about 200 MB, mostly TensorFlow.js browser bundles) and type declarations are
# never loaded at run time, so they are left out; the build fails if sharp cannot load.
RUN set -eu; \
    if [ -n "$TFJS_NODE_CDN_STORAGE" ]; then \
      mirror="${TFJS_NODE_CDN_STORAGE%/}/"; \
    else \
      mirror="http://127.0.0.1:9/"; \
    fi; \
    TFJS_NODE_CDN_STORAGE="$mirror" \
    npm_config_tfjs_binding_binary_host_mirror="${mirror}tf-builds/pre-built-binary" \
      npm ci --omit=dev; \
    npm cache clean --force; \
    find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete; \
    node -e "require('sharp'); console.log('sharp', require('sharp').versions.sharp, 'ok')"; \
    if [ -d node_modules/@tensorflow/tfjs-node ]; then \
      echo 'tfjs-node installed: the tensorflow backend is available'; \
    else \
      echo 'tfjs-node not installed: the service will use the wasm backend'; \
    fi

# ---- runtime ----
FROM base AS runtime
ENV NODE_ENV=production \
    DATA_DIR=/data
# OpenBLAS's shared library only (the pthread build), which the addon links against; jemalloc,
# which hands back what libvips frees after a large image (glibc's malloc keeps much of it:
# sharp's own advice); Fashion-MNIST, so that the built-in dataset is there. apt's caches go
# (about 110 MB where the base image does not clean them itself).
RUN apt-get update -qq \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
       libopenblas0-pthread libjemalloc2 dataset-fashion-mnist >/dev/null \
    && ln -s "$(find /usr/lib -name libjemalloc.so.2 | head -n 1)" /usr/local/lib/libjemalloc.so.2 \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
# Two arenas (not four per core), and freed pages handed back within a second by jemalloc's
# own thread: what a burst of large decodes took does not stay with the process.
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2 \
    MALLOC_CONF=background_thread:true,narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0
# A named volume mounted on /data starts as a copy of this directory, ownership included.
RUN mkdir -p /data && chown node:node /data
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/native/build/Release/trainyard_native.node ./native/build/Release/
# The command-line client, as `trainyard` on the PATH (docker compose exec api trainyard jobs).
RUN ln -s /app/dist/cli/trainyard.js /usr/local/bin/trainyard
USER node
EXPOSE 3000
# (No spaces inside the script: podman's Docker API splits CMD arguments at whitespace.)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
