#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, from Debian's packages, for circ sweep's tests.
#
#   scripts/slurm-local.sh start   # install slurm-wlm and munge if missing, configure, start; waits until the node is idle
#   scripts/slurm-local.sh stop    # stop slurmd, slurmctld and munged
#   scripts/slurm-local.sh status  # sinfo
#
# Needs root. Writes /etc/slurm/slurm.conf for this host's name, cores and memory (a file
# written by this script is replaced; any other is kept as slurm.conf.before-circ), and keeps
# state and logs under /var/spool/circ-slurm and /var/log/circ-slurm.
set -euo pipefail

# The daemons started below must hold none of the caller's files: a caller reading this script's
# output (a test) would otherwise wait for an end that never comes. Standard input is closed, and
# every inherited descriptor above 2 with it (but 255, from which bash reads this script).
exec </dev/null
for fd in /proc/self/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ] && [ "$fd" != 255 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi; done

STATE=/var/spool/circ-slurm
LOGS=/var/log/circ-slurm
CONF=/etc/slurm/slurm.conf
MARK="# written by circ's scripts/slurm-local.sh"

fail() { echo "slurm-local: $*" >&2; exit 1; }

install_missing() {
    local missing=""
    for p in slurm-wlm munge; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
    if [ -n "$missing" ]; then
        echo "slurm-local: installing$missing" >&2
        mkdir -p "$LOGS"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } >"$LOGS/install.log" 2>&1 \
            || fail "installing$missing failed; see $LOGS/install.log"
    fi
}

start_munge() {
    if [ ! -s /etc/munge/munge.key ]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
    mkdir -p /run/munge && chown munge:munge /run/munge
    if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
        setsid runuser -u munge -- /usr/sbin/munged --force </dev/null >/dev/null 2>&1
        for _ in $(seq 50); do munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && return; sleep 0.1; done
        fail "munged did not start"
    fi
}

write_config() {
    local host cpus memory
    host=$(hostname -s)
    cpus=$(nproc)
    memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
    if [ -f "$CONF" ] && ! grep -q "$MARK" "$CONF"; then cp "$CONF" "$CONF.before-circ"; fi
    mkdir -p /etc/slurm "$STATE/ctld" "$STATE/d" "$LOGS"
    cat >"$CONF" <<EOF
$MARK
ClusterName=circ-local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default, each job would be given the whole node's memory and jobs would run one at a time.
DefMemPerCPU=$(( memory / cpus ))
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
MinJobAge=300
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    # An empty cgroup.conf keeps slurmd from probing cgroups it is not asked to use.
    [ -f /etc/slurm/cgroup.conf ] || echo "$MARK" >/etc/slurm/cgroup.conf
}

daemon_running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
    [ "$(id -u)" = 0 ] || fail "must run as root (it installs packages and starts daemons)"
    install_missing
    start_munge
    write_config
    # The daemons must not hold the caller's output open (a test reading it would never see its end).
    if daemon_running "$STATE/slurmctld.pid"; then scontrol reconfigure >/dev/null 2>&1 || true; else setsid /usr/sbin/slurmctld </dev/null >/dev/null 2>&1; fi
    daemon_running "$STATE/slurmd.pid" || setsid /usr/sbin/slurmd </dev/null >/dev/null 2>&1
    local host state=""
    host=$(hostname -s)
    for _ in $(seq 100); do
        state=$(sinfo -h -n "$host" -o %T 2>/dev/null || true)
        case "$state" in
            idle*|mixed*|allocated*) echo "slurm-local: node $host is $state (partition debug)"; return 0 ;;
            down*|drain*) scontrol update nodename="$host" state=resume 2>/dev/null || true ;;
        esac
        sleep 0.2
    done
    fail "the node did not become idle (last state: '${state:-none}'); see $LOGS/slurmctld.log and $LOGS/slurmd.log"
}

stop() {
    local name
    for name in slurmd slurmctld munged; do pkill -x "$name" 2>/dev/null || true; done
    for _ in $(seq 50); do pgrep -x "slurmd|slurmctld|munged" >/dev/null || break; sleep 0.1; done
    for name in slurmd slurmctld munged; do pkill -9 -x "$name" 2>/dev/null || true; done
    echo "slurm-local: stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) sinfo ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
