# scripts/lib.sh — the shell helpers every OncoAtlas script shares. Source it
# after setting PROG (the prefix of messages, e.g. PROG=demo):
#
#   die MESSAGE...             print "PROG: MESSAGE" to stderr and exit 1
#   log MESSAGE...             print "PROG: MESSAGE" to stderr
#   free_port                  print a free TCP port on 127.0.0.1
#   pid_running PID            true while PID is a live process (a zombie, which
#                              has exited and only waits to be reaped by its
#                              parent, counts as gone)
#   running PIDFILE            pid_running on the pid in PIDFILE (false if none)
#   stop_pid PID [SECONDS] [group]
#                              SIGTERM the process (its whole process group with
#                              "group"), wait up to SECONDS (default 5) until it
#                              is gone, then SIGKILL and wait up to 5 s more;
#                              fails, naming it, if it is still there
#
# Every "stop" waits until the process is gone, so a caller that returns has
# left nothing running behind it.

die() { printf '%s: %s\n' "${PROG:-oncoatlas}" "$*" >&2; exit 1; }
log() { printf '%s: %s\n' "${PROG:-oncoatlas}" "$*" >&2; }

free_port() {
  # The kernel picks the port; it is released before the caller binds it, so a
  # collision is possible but rare, and start-up then fails with a clear log.
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

pid_running() {
  local pid="$1" stat
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Field 3 of /proc/PID/stat is the state; the command name (field 2) is in
  # parentheses and may hold spaces, so read what follows the last ')'.
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ "${stat%% *}" != Z ]
}

running() { [ -f "$1" ] && pid_running "$(cat "$1" 2>/dev/null)"; }

# True while PID, or with "group" any member of process group PID, runs.
alive_in() {
  local pid="$1" group="$2" p
  pid_running "$pid" && return 0
  [ "$group" = group ] || return 1
  for p in $(pgrep -g "$pid" 2>/dev/null); do pid_running "$p" && return 0; done
  return 1
}

# Waits up to TENTHS tenths of a second until PID (or its group) is gone.
wait_gone() {
  local pid="$1" tenths="$2" group="${3:-}" i
  for ((i = 0; i < tenths; i++)); do
    alive_in "$pid" "$group" || return 0
    sleep 0.1
  done
  ! alive_in "$pid" "$group"
}

stop_pid() {
  local pid="$1" seconds="${2:-5}" group="${3:-}"
  alive_in "$pid" "$group" || return 0
  if [ "$group" = group ]; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  else
    kill -TERM "$pid" 2>/dev/null || true
  fi
  wait_gone "$pid" $((seconds * 10)) "$group" && return 0
  log "pid $pid did not exit within $seconds s of SIGTERM; killing it"
  if [ "$group" = group ]; then
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  else
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait_gone "$pid" 50 "$group" && return 0
  log "pid $pid is still there 5 s after SIGKILL"
  return 1
}
