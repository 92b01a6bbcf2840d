#!/usr/bin/env bash
# A private one-node Slurm on this machine, for trying `mbrl sweep --backend slurm` and for its
# test: munged, slurmctld and slurmd started directly (no systemd), every file in DIR, the
# daemons on loopback ports, jobs run as the calling user.
#
#   scripts/local_slurm.sh start DIR   # prints `export SLURM_CONF=DIR/slurm.conf`
#   scripts/local_slurm.sh stop DIR
#
# Needs Debian's slurmctld, slurmd, slurm-client and munge (scripts/install_deps.sh installs
# them). DIR should be short: munge's socket path must fit in 108 bytes.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$(realpath -m "$2")

stop() {
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
    fi
  done
  # slurmd's job steps and slurmctld's script helper go with them
  sleep 1
  pkill -f -- "-f $dir/slurm.conf" 2>/dev/null || true
}

case "$action" in
  stop) stop; exit 0 ;;
  start) ;;
  *) usage ;;
esac

for program in munged mungekey slurmctld slurmd sinfo; do
  command -v "$program" >/dev/null || {
    echo "local_slurm: $program not found: run scripts/install_deps.sh (slurmctld slurmd" \
      "slurm-client munge)" >&2
    exit 1
  }
done

mkdir -p "$dir"/{munge,state,spool,log}
chmod 700 "$dir/munge"
[ -f "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key"
chmod 600 "$dir/munge/munge.key"
munged --force --socket="$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" \
  --log-file="$dir/log/munged.log" --pid-file="$dir/munge/munged.pid" \
  --seed-file="$dir/munge/munged.seed"

# two free loopback ports for slurmctld and slurmd
free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}
ctld_port=$(free_port)
slurmd_port=$(free_port)
[ "$slurmd_port" != "$ctld_port" ] || slurmd_port=$((ctld_port + 1))

user=$(id -un)
cpus=$(nproc)
memory_mb=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
cat > "$dir/slurm.conf" <<EOF
# written by scripts/local_slurm.sh: a private one-node cluster
ClusterName=mbrllocal
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=60
NodeName=mbrlnode NodeHostname=$(hostname) NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory_mb State=UNKNOWN
PartitionName=local Nodes=mbrlnode Default=YES MaxTime=INFINITE State=UP
EOF

export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$dir/slurm.conf"
slurmd -f "$dir/slurm.conf" -N mbrlnode
for _ in $(seq 60); do
  if [ "$(sinfo -h -o %T 2>/dev/null)" = "idle" ]; then
    echo "export SLURM_CONF=$dir/slurm.conf"
    exit 0
  fi
  sleep 0.5
done
echo "local_slurm: the node did not come up in 30 s; logs in $dir/log" >&2
tail -n 5 "$dir"/log/*.log >&2 || true
stop
exit 1
