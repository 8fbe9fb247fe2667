#!/usr/bin/env bash
# A one-node Slurm cluster on loopback, for the `slurm` tests and benchmarks.
#
#   scripts/slurm-cluster.sh start    install slurm-wlm + munge if missing, start munged,
#                                     slurmctld and slurmd, wait until the node is idle
#   scripts/slurm-cluster.sh stop     stop the daemons started by `start` (by recorded pid)
#   scripts/slurm-cluster.sh status   exit 0 when the cluster answers
#
# Needs root (Debian/Ubuntu). No systemd, no cgroups, no accounting database: the daemons
# run in the foreground (-D), detached from this shell, with their pids recorded in
# $OMNIREC_SLURM_DIR (default /var/lib/omnirec-slurm). The node has the machine's CPUs and
# memory and one fake GPU (gres backed by /dev/null) so `--gres=gpu:1` jobs can run.
set -euo pipefail

DIR=${OMNIREC_SLURM_DIR:-/var/lib/omnirec-slurm}
CONF=/etc/slurm/slurm.conf
MARK="# omnirec test cluster (scripts/slurm-cluster.sh)"
NODE=$(hostname -s)

say() { echo "slurm-cluster: $*" >&2; }

need_root() {
  if [ "$(id -u)" != 0 ]; then
    say "must run as root (it installs packages and starts the Slurm daemons)"
    exit 1
  fi
}

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
    && command -v munged >/dev/null; then
    return
  fi
  say "installing slurm-wlm and munge"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null; then
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null
  fi
}

alive() {  # pidfile: the recorded process still runs (and is not a reused pid)
  [ -s "$1" ] || return 1
  local pid name
  pid=$(cat "$1")
  name=$(basename "$1" .run)
  name=${name%.pid}
  kill -0 "$pid" 2>/dev/null && grep -q "$name" "/proc/$pid/comm" 2>/dev/null
}

write_config() {
  if [ -e "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
    say "$CONF exists and was not written by this script; refusing to overwrite it"
    exit 1
  fi
  local cpus mem
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)
  mkdir -p /etc/slurm "$DIR/ctld" "$DIR/spool"
  cat >"$CONF" <<EOF
$MARK
ClusterName=omnirec
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=cred_expire=10
StateSaveLocation=$DIR/ctld
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/slurmctld.log
SlurmdLogFile=$DIR/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_min_interval=0,batch_sched_delay=0,sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
GresTypes=gpu
DefMemPerCPU=256
MinJobAge=600
KillWait=5
InactiveLimit=0
SlurmdParameters=config_overrides
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  cat >/etc/slurm/gres.conf <<EOF
$MARK
AutoDetect=off
NodeName=$NODE Name=gpu File=/dev/null
EOF
}

start_munge() {
  if [ -S /run/munge/munge.socket.2 ] && munge -n </dev/null >/dev/null 2>&1; then
    return
  fi
  if [ ! -s /etc/munge/munge.key ]; then
    mkdir -p /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /etc/munge /etc/munge/munge.key /run/munge /var/lib/munge /var/log/munge
  chmod 0700 /etc/munge
  chmod 0400 /etc/munge/munge.key
  chmod 0755 /run/munge  # clients must reach the socket
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do
    munge -n </dev/null >/dev/null 2>&1 && break
    sleep 0.1
  done
  cp /run/munge/munged.pid "$DIR/munged.pid" 2>/dev/null || true
}

start_daemon() {  # name
  local name=$1
  if alive "$DIR/$name.run"; then
    return
  fi
  setsid nohup "/usr/sbin/$name" -D >>"$DIR/$name.out" 2>&1 </dev/null &
  echo $! >"$DIR/$name.run"
}

wait_ready() {
  local state=""
  for _ in $(seq 300); do
    state=$(sinfo -h -n "$NODE" -o %T 2>/dev/null || true)
    case "$state" in
      idle* | mixed* | allocated*) return 0 ;;
      drain* | down*) scontrol update nodename="$NODE" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.2
  done
  say "the node did not become idle (state: ${state:-none}); logs: $DIR/slurmctld.log, $DIR/slurmd.log"
  tail -n 20 "$DIR/slurmctld.log" "$DIR/slurmd.log" >&2 || true
  return 1
}

start() {
  need_root
  install_packages
  mkdir -p "$DIR"
  if alive "$DIR/slurmctld.run" && alive "$DIR/slurmd.run" && scontrol ping >/dev/null 2>&1; then
    wait_ready
    say "already running"
    return
  fi
  write_config
  start_munge
  start_daemon slurmctld
  for _ in $(seq 100); do
    scontrol ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  start_daemon slurmd
  wait_ready
  say "up: node $NODE, $(nproc) CPUs, config $CONF, state in $DIR"
}

stop_pid() {  # pidfile
  local pidfile=$1 pid
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop() {
  need_root
  # Jobs still queued would be restored by the next start; drop them first.
  if alive "$DIR/slurmctld.run"; then
    scancel --user="$(id -un)" >/dev/null 2>&1 || true
  fi
  stop_pid "$DIR/slurmd.run"
  stop_pid "$DIR/slurmctld.run"
  stop_pid "$DIR/munged.pid"
  say "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) scontrol ping >/dev/null 2>&1 && sinfo ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
