#!/usr/bin/env bash
# Start-up as root and as a service user (nobody, with a home of its own), from the release
# tarball: ping, keys list and --version, five runs each after the caches are built. As root
# (runuser). usage: tools/bench/service-user-startup.sh [authgate-VERSION.tar.gz]
set -u
m=$(mktemp -d /tmp/meas.XXXX); chmod 755 $m
tar -xzf "${1:-$(ls "$(dirname "$0")"/../../authgate-dist/target/authgate-*.tar.gz | head -1)}" -C $m
root=$(ls -d $m/authgate-*)
home=$m/home; mkdir -p $home; chown nobody $home; chmod 700 $home
cd $home
runuser -u nobody -- $root/bin/auth-server keys add sensor-1 --keys keys --out - > $m/sensor-1.credential 2>/dev/null
chmod 600 $m/sensor-1.credential
runuser -u nobody -- $root/bin/auth-server serve --bind 127.0.0.1 --port 0 > $m/serve.out 2> $m/serve.err &
spid=$!
for i in $(seq 1 100); do grep -q listening $m/serve.out 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's/^listening on //p' $m/serve.out)
cp $m/sensor-1.credential $m/nobody.credential; chown nobody $m/nobody.credential
t() { local s=$(date +%s%N); "$@" >/dev/null 2>&1; echo $(( ($(date +%s%N)-s)/1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
# warm-up: the first runs start the background AOT builds; wait for them (as the service would have)
$root/bin/auth-client ping --server $addr --key $m/sensor-1.credential >/dev/null 2>&1
runuser -u nobody -- env HOME=$home $root/bin/auth-client ping --server $addr --key $m/nobody.credential >/dev/null 2>&1
runuser -u nobody -- env HOME=$home $root/bin/auth-server keys list --keys keys >/dev/null 2>&1
for i in $(seq 1 120); do ls $home/.cache/authgate/*.lock /root/.cache/authgate/*.lock >/dev/null 2>&1 || break; sleep 1; done
ls $home/.cache/authgate/ /root/.cache/authgate/ 2>&1 | tr '\n' ' '; echo
echo "root ping ms: $(for i in 1 2 3 4 5 6; do t $root/bin/auth-client ping --server $addr --key $m/sensor-1.credential; done | tail -5 | tr '\n' ' ')"
echo "nobody ping ms: $(for i in 1 2 3 4 5 6; do t runuser -u nobody -- env HOME=$home $root/bin/auth-client ping --server $addr --key $m/nobody.credential; done | tail -5 | tr '\n' ' ')"
echo "nobody keys list ms: $(for i in 1 2 3 4 5; do t runuser -u nobody -- env HOME=$home $root/bin/auth-server keys list --keys keys; done | tr '\n' ' ')"
echo "root --version ms: $(for i in 1 2 3 4 5; do t $root/bin/auth-client --version; done | tr '\n' ' ')"
pkill -TERM -P $spid; kill $spid 2>/dev/null; wait $spid 2>/dev/null
rm -rf "$m"
