#!/usr/bin/env bash
# Two hoptac nodes on 127.0.0.1: Hanoi Police (port 8101) and Beijing PSB (port 8102),
# each with its own directory, database and keys under var/two-nodes/, their cards pinned
# to each other, an officer account each and a few hotline messages exchanged.
# Ctrl-C stops both. Run by `make demo-two-nodes`.
set -euo pipefail
HOPTAC=${HOPTAC:-.venv/bin/hoptac}
ROOT=var/two-nodes
A=$ROOT/hanoi
B=$ROOT/beijing
PASSWORD=hoptac-demo-2024
unset HOPTAC_DATABASE_URL HOPTAC_HOME

rm -rf "$ROOT"
mkdir -p "$ROOT"
$HOPTAC init --data "$A" --node-id vn-hanoi-pd --name "Công an thành phố Hà Nội" \
  --url http://127.0.0.1:8101
$HOPTAC init --data "$B" --node-id cn-beijing-psb --name "北京市公安局" \
  --url http://127.0.0.1:8102
echo "$PASSWORD" | $HOPTAC user add --data "$A" --agency "Công an thành phố Hà Nội" \
  --role officer --username hanoi --password-stdin
echo "$PASSWORD" | $HOPTAC user add --data "$B" --agency "北京市公安局" \
  --role officer --username beijing --password-stdin
$HOPTAC peer card --data "$A" --output "$ROOT/hanoi.card.json"
$HOPTAC peer card --data "$B" --output "$ROOT/beijing.card.json"
# In real life each side reads its fingerprint to the other over the phone first.
$HOPTAC peer add "$ROOT/beijing.card.json" --data "$A" --yes
$HOPTAC peer add "$ROOT/hanoi.card.json" --data "$B" --yes

$HOPTAC serve --data "$A" --port 8101 > "$ROOT/hanoi.log" 2>&1 &
PID_A=$!
$HOPTAC serve --data "$B" --port 8102 > "$ROOT/beijing.log" 2>&1 &
PID_B=$!
trap 'kill $PID_A $PID_B 2>/dev/null; wait' EXIT INT TERM
for port in 8101 8102; do
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1
  done
done

FIRST=$($HOPTAC hotline send --data "$A" --to cn-beijing-psb --priority urgent --handling H2 \
  --subject "Đề nghị xác minh đối tượng truy nã Vương Kiện (王健)" \
  --body "Đề nghị Cục Công an Bắc Kinh xác minh nhân thân đối tượng Vương Kiện (王健, Wang Jian), sinh năm 1985, nghi nhập cảnh trái phép vào Hà Nội.")
$HOPTAC hotline send --data "$A" --to cn-beijing-psb \
  --subject "Lịch làm việc đoàn công tác tháng 12" \
  --body "Đoàn Công an thành phố Hà Nội dự kiến sang thăm và làm việc từ ngày 10 đến ngày 14-12." >/dev/null
sleep 1
$HOPTAC hotline read --data "$B" "$FIRST" >/dev/null
$HOPTAC hotline send --data "$B" --to vn-hanoi-pd --reply-to "$FIRST" --subject "Re: 王健" \
  --body "北京市公安局已收到，正在核查。Đã nhận, đang xác minh." >/dev/null
sleep 1
echo
echo "Hanoi Police  http://127.0.0.1:8101/hotline  login hanoi / $PASSWORD"
echo "Beijing PSB   http://127.0.0.1:8102/hotline  login beijing / $PASSWORD"
echo "Hanoi's outbox:"
$HOPTAC hotline list --data "$A"
echo "Ctrl-C stops both nodes."
wait
