#!/usr/bin/env bash
# End-to-end test of Dockerfile + docker-compose.yml: builds the image, starts Redis, the API
# and two workers, then trains two models at once over HTTP and predicts on a PNG; imports a ZIP
# of class folders, trains on it and predicts by label name, over /v1 and the V2 protocol.
#
#   bash test/compose/run.sh            (npm run test:compose)
#
# COMPOSE: a docker-compose compatible command, run from the repository root (default: the
#   container kit beside this repository). Its exit status 3 means "this machine cannot run
#   containers": the test is then skipped. Any other failure fails the test.
# API_PORT: host port for the API (default 3000, or a free port when 3000 is taken). The API is
#   published on 127.0.0.1 (compose's default API_BIND), which the test checks.
# READY_TIMEOUT, JOB_TIMEOUT: seconds to wait for the stack and for training (180, 300).
# EXPECT_BACKEND: the training backend readiness and the trained models must report (native:
#   the image builds the OpenBLAS addon).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

read -r -a compose_cmd <<<"${COMPOSE:-../shared/container-kit/compose}"
project="trainyard-ci-$$"
compose=("${compose_cmd[@]}" -f docker-compose.yml -p "$project")
READY_TIMEOUT=${READY_TIMEOUT:-180}
JOB_TIMEOUT=${JOB_TIMEOUT:-300}
EXPECT_BACKEND=${EXPECT_BACKEND:-native}
started_at=$SECONDS

tmp=$(mktemp -d)
stack_up=0

say() { printf '[compose-test] %s\n' "$*"; }
fail() {
  printf '[compose-test] FAIL: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$stack_up" = 1 ]; then
    if [ "$rc" != 0 ]; then
      echo "---- compose ps ----" >&2
      "${compose[@]}" ps >&2 || true
      echo "---- compose logs (last 100 lines of each container) ----" >&2
      "${compose[@]}" logs --no-color --tail=100 >&2 || true
    fi
    say "removing the stack ($project)"
    "${compose[@]}" down -v --rmi local --remove-orphans >"$tmp/down.log" 2>&1 || {
      cat "$tmp/down.log" >&2
      echo "[compose-test] warning: compose down failed" >&2
    }
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The API's host port: 3000 unless it is taken, then any free one.
if [ -z "${API_PORT:-}" ]; then
  API_PORT=$(node -e '
    const net = require("net");
    const tryPort = (port) => new Promise((done) => {
      const s = net.createServer().once("error", () => done(null));
      s.listen(port, "0.0.0.0", () => { const p = s.address().port; s.close(() => done(p)); });
    });
    tryPort(3000).then((p) => p ?? tryPort(0)).then((p) => console.log(p));')
fi
export API_PORT
base="http://127.0.0.1:$API_PORT"

# http METHOD PATH [curl options...]: the body goes to $tmp/body, the status to stdout.
http() {
  local method=$1 path=$2
  shift 2
  curl -sS -o "$tmp/body" -w '%{http_code}' --max-time 30 -X "$method" "$@" "$base$path" || true
}
# json EXPR [FILE]: evaluates EXPR on the JSON document `d` (default: the last body).
json() {
  node -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
    const v = new Function("d", "return (" + process.argv[1] + ");")(d);
    console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1" "${2:-$tmp/body}"
}
expect_status() { # expect_status WANT GOT WHAT
  [ "$2" = "$1" ] || fail "$3: HTTP $2, expected $1: $(head -c 500 "$tmp/body" 2>/dev/null)"
}

say "project $project, API on port $API_PORT"
say "building and starting redis, api and 2 workers"
stack_up=1
set +e
"${compose[@]}" up --build -d --scale worker=2 2> >(tee "$tmp/up.err" >&2)
rc=$?
# podman's API service, after a long uptime, can fail to start any container ("write child:
# broken pipe"); the container kit starts a fresh service when the old one is gone: retry once.
if [ "$rc" != 0 ] && [ "$rc" != 3 ] && grep -q 'broken pipe' "$tmp/up.err"; then
  say "podman could not start a container (broken pipe): restarting its service and retrying once"
  pkill -f 'podman system service' || true
  sleep 1
  "${compose[@]}" up --build -d --scale worker=2 2> >(tee "$tmp/up.err" >&2)
  rc=$?
fi
set -e
if [ "$rc" = 3 ]; then
  stack_up=0
  reason=$(grep -i 'cannot run containers' "$tmp/up.err" | tail -n 1 | sed 's/^container-kit: //')
  echo "compose test skipped: ${reason:-this machine cannot run containers (compose exited 3)}"
  exit 0
fi
[ "$rc" = 0 ] || fail "compose up exited $rc"
up_done=$SECONDS
say "ok: compose up (build and start) took $((up_done - started_at))s"

say "waiting (at most ${READY_TIMEOUT}s) for /readyz and healthy containers"
deadline=$((SECONDS + READY_TIMEOUT))
while :; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$base/readyz" || true)
  if [ "$code" = 200 ]; then
    "${compose[@]}" ps >"$tmp/ps" 2>/dev/null || true
    healthy=$(grep -cE '[_-](api|worker)[_-][0-9]+ .*\(healthy\)' "$tmp/ps" || true)
    [ "$healthy" -ge 3 ] && break
  fi
  [ "$SECONDS" -lt "$deadline" ] || fail "not ready after ${READY_TIMEOUT}s (/readyz: HTTP $code; healthy api+workers: ${healthy:-0} of 3)"
  sleep 2
done
workers=$(grep -cE '[_-]worker[_-][0-9]+ ' "$tmp/ps" || true)
[ "$workers" = 2 ] || fail "expected 2 worker containers, compose ps shows $workers"
say "ok: /readyz 200 and api + 2 workers healthy $((SECONDS - up_done))s after compose up"

code=$(http GET /readyz)
[ "$(json d.backend)" = "$EXPECT_BACKEND" ] || fail "/readyz reports backend $(json d.backend), expected $EXPECT_BACKEND"
say "ok: backend $(json d.backend), redis $(json d.redis)"

if [ -z "${API_BIND:-}" ]; then
  published=$("${compose[@]}" port api 3000 2>/dev/null | tail -n 1 || true)
  case "$published" in
  127.0.0.1:*) say "ok: the API is published on $published only (loopback)" ;;
  *) fail "the API is published on '$published', expected 127.0.0.1:$API_PORT" ;;
  esac
fi

code=$(http POST /v1/training-jobs -H 'content-type: application/json' -H 'origin: https://evil.example' -d '{"epochs":2}')
expect_status 403 "$code" "POST /v1/training-jobs from another site's page"
[ "$(json d.code)" = CROSS_ORIGIN_FORBIDDEN ] || fail "cross-site POST answered code $(json d.code)"
say "ok: a cross-site POST is refused (403 CROSS_ORIGIN_FORBIDDEN) while the API runs without keys"

code=$(http POST /v1/training-jobs -H 'content-type: application/json' -d '{"epochs":2}')
expect_status 202 "$code" "POST /v1/training-jobs (first)"
job1=$(json d.id)
[ "$(json d.dataset)" = mnist-sample ] || fail "first job's dataset is $(json d.dataset), expected mnist-sample"
code=$(http POST /v1/training-jobs -H 'content-type: application/json' -d '{"epochs":2}')
expect_status 202 "$code" "POST /v1/training-jobs (second)"
job2=$(json d.id)
say "ok: two jobs accepted (202): $job1, $job2 (dataset mnist-sample, 2 epochs)"

say "polling both jobs (at most ${JOB_TIMEOUT}s)"
deadline=$((SECONDS + JOB_TIMEOUT))
both_running=0
last=""
while :; do
  code=$(http GET "/v1/training-jobs/$job1")
  expect_status 200 "$code" "GET /v1/training-jobs/$job1"
  cp "$tmp/body" "$tmp/job1.json"
  code=$(http GET "/v1/training-jobs/$job2")
  expect_status 200 "$code" "GET /v1/training-jobs/$job2"
  cp "$tmp/body" "$tmp/job2.json"
  s1=$(json d.state "$tmp/job1.json")
  s2=$(json d.state "$tmp/job2.json")
  if [ "$s1 $s2" != "$last" ]; then
    say "  states: $s1 / $s2"
    last="$s1 $s2"
  fi
  [ "$s1 $s2" = "running running" ] && both_running=1
  for f in job1 job2; do
    if [ "$(json d.state "$tmp/$f.json")" = failed ]; then
      fail "$f failed: $(json 'd.error && d.error.message' "$tmp/$f.json")"
    fi
  done
  [ "$s1 $s2" = "completed completed" ] && break
  [ "$SECONDS" -lt "$deadline" ] || fail "jobs not completed after ${JOB_TIMEOUT}s (states: $s1 / $s2)"
  sleep 0.5
done
[ "$both_running" = 1 ] || fail "the two jobs never ran at the same time (2 workers should take one each)"
model1=$(json d.modelId "$tmp/job1.json")
model2=$(json d.modelId "$tmp/job2.json")
say "ok: both jobs were running at once, then completed"
say "ok: $job1 -> model $model1, test accuracy $(json d.metrics.testAccuracy "$tmp/job1.json"), epochs $(json d.progress.history.length "$tmp/job1.json")"
say "ok: $job2 -> model $model2, test accuracy $(json d.metrics.testAccuracy "$tmp/job2.json"), epochs $(json d.progress.history.length "$tmp/job2.json")"

code=$(http GET /v1/models)
expect_status 200 "$code" "GET /v1/models"
for m in "$model1" "$model2"; do
  [ "$(json "d.items.some((m) => m.id === '$m')")" = true ] || fail "GET /v1/models does not list $m"
done
say "ok: GET /v1/models lists both models ($(json d.items.length) in all)"
for m in "$model1" "$model2"; do
  got=$(json "d.items.find((m) => m.id === '$m').backend")
  [ "$got" = "$EXPECT_BACKEND" ] || fail "model $m was trained on $got, expected $EXPECT_BACKEND"
done
say "ok: both models were trained on the $EXPECT_BACKEND backend"

curl -sS -D "$tmp/headers" -o "$tmp/weights.bin" --max-time 30 "$base/v1/models/$model1/weights.bin" ||
  fail "GET /v1/models/$model1/weights.bin failed"
header() { grep -i "^$1:" "$tmp/headers" | tail -n 1 | tr -d '\r' | cut -d' ' -f2-; }
got=$(wc -c <"$tmp/weights.bin")
[ "$got" -gt 0 ] && [ "$got" = "$(header content-length)" ] ||
  fail "weights.bin: $got bytes read, Content-Length $(header content-length)"
[ "$(header cache-control)" = 'public, max-age=31536000, immutable' ] ||
  fail "weights.bin: Cache-Control '$(header cache-control)', expected public while the API runs open"
say "ok: weights.bin streams $got bytes, as its Content-Length says; Cache-Control: $(header cache-control)"

node test/compose/digit-png.mjs "$tmp/digit.png"
code=$(http POST /v1/predict -H 'content-type: image/png' --data-binary "@$tmp/digit.png")
expect_status 200 "$code" "POST /v1/predict (28x28 PNG)"
[ "$(json d.predictions[0].probabilities.length)" = 10 ] ||
  fail "predictions[0].probabilities has $(json d.predictions[0].probabilities.length) entries, expected 10"
say "ok: POST /v1/predict with a 28x28 PNG: 200, model $(json d.modelId), label $(json d.predictions[0].label)," \
  "confidence $(json 'd.predictions[0].confidence.toFixed(3)'), 10 probabilities"

code=$(http GET /)
expect_status 200 "$code" "GET / (dashboard)"
grep -q '<div id="app"\|<main' "$tmp/body" || fail "GET / did not answer the dashboard's page"
say "ok: GET / serves the dashboard"

code=$(http GET /metrics)
expect_status 200 "$code" "GET /metrics"
grep -q '^http_request_duration_seconds_count{method="POST",route="/v1/predict",status_code="200"} 1$' "$tmp/body" ||
  fail "GET /metrics does not count the prediction"
say "ok: GET /metrics counts the requests"

# The image carries Fashion-MNIST and the command-line client.
code=$(http GET /v1/datasets)
expect_status 200 "$code" "GET /v1/datasets"
grep -q '"id":"fashion-mnist"[^}]*"available":true' "$tmp/body" || fail "fashion-mnist is not available in the image"
say "ok: the built-in Fashion-MNIST is available"
"${compose[@]}" exec -T api trainyard --url http://127.0.0.1:3000 jobs >"$tmp/cli.out" 2>&1 ||
  fail "trainyard jobs in the api container failed: $(cat "$tmp/cli.out")"
grep -q "$job1" "$tmp/cli.out" || fail "trainyard jobs does not list $job1: $(cat "$tmp/cli.out")"
say "ok: trainyard in the image lists the jobs"

# A ZIP of class folders, imported by a worker, trained, and predicted by name (also over V2).
node test/compose/digit-png.mjs --shapes "$tmp/shapes"
(cd "$tmp" && python3 -m zipfile -c shapes.zip shapes/)
code=$(http POST /v1/datasets -F name=shapes -F seed=1 -F "archive=@$tmp/shapes.zip")
expect_status 202 "$code" "POST /v1/datasets (a ZIP of class folders)"
dataset=$(json d.id)
deadline=$((SECONDS + JOB_TIMEOUT))
while :; do
  code=$(http GET "/v1/datasets/$dataset")
  expect_status 200 "$code" "GET /v1/datasets/$dataset"
  state=$(json d.state)
  [ "$state" = ready ] && break
  [ "$state" = importing ] || fail "the import ended $state: $(json 'd.import && d.import.error')"
  [ "$SECONDS" -lt "$deadline" ] || fail "the import did not finish in ${JOB_TIMEOUT}s"
  sleep 0.5
done
[ "$(json d.labels)" = '["bar","block","wide"]' ] || fail "imported classes are $(json d.labels)"
say "ok: a ZIP of class folders imported by a worker: $(json d.trainSize) training and $(json d.testSize) test images, classes $(json d.labels)"
code=$(http POST /v1/training-jobs -H 'content-type: application/json' \
  -d "{\"dataset\":\"$dataset\",\"model\":\"shapes\",\"epochs\":10,\"batchSize\":8,\"learningRate\":0.01}")
expect_status 202 "$code" "POST /v1/training-jobs (on the imported dataset)"
job3=$(json d.id)
while :; do
  code=$(http GET "/v1/training-jobs/$job3")
  state=$(json d.state)
  [ "$state" = completed ] && break
  [ "$state" = failed ] && fail "the job on the imported dataset failed: $(json 'd.error && d.error.message')"
  [ "$SECONDS" -lt "$deadline" ] || fail "the job on the imported dataset did not finish"
  sleep 0.5
done
code=$(http POST /v1/models/shapes/predict -H 'content-type: image/png' --data-binary "@$tmp/shapes/wide/4.png")
expect_status 200 "$code" "POST /v1/models/shapes/predict"
[ "$(json d.predictions[0].label)" = wide ] || fail "a wide bar was predicted as $(json d.predictions[0].label)"
[ "$(json d.predictions[0].probabilities.length)" = 3 ] || fail "predictions carry $(json d.predictions[0].probabilities.length) probabilities"
say "ok: the model named shapes answers label \"wide\" with 3 probabilities"
b64=$(base64 -w0 "$tmp/shapes/bar/7.png")
code=$(http POST /v2/models/shapes/infer -H 'content-type: application/json' \
  -d "{\"inputs\":[{\"name\":\"image\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"$b64\"]}],\"outputs\":[{\"name\":\"label\"}]}")
expect_status 200 "$code" "POST /v2/models/shapes/infer"
[ "$(json 'd.outputs[0].data[0]')" = bar ] || fail "V2 infer answered $(head -c 300 "$tmp/body")"
say "ok: V2 infer on the same model answers label \"bar\""

say "compose test passed in $((SECONDS - started_at))s"
