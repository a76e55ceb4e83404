#!/bin/bash
# Runs one student of tests/class-real the way a teacher does on the Mininet
# VM: the server in one terminal, a client in each of two more, a name typed
# into each client (case 1: X first, case 2: Y first). It is how the
# verdicts in expected.yaml were checked (see README.md); it is not the
# grader and asserts nothing.
#
#   sudo tests/class-real/by-hand.sh STUDENT [x-first|y-first|x-early] [NAME_A NAME_B]
#
# Root is needed only for the namespace: everything runs in a network
# namespace of its own (loopback up, plus the addresses a student
# hard-coded for Mininet or a home network, so that one machine stands in
# for the hosts), and the student's programs run as `nobody`, from a copy.
# Client A is started first (the server calls it X), B half a second later;
# x-early types A's name before B is even started (rubric item 3).
# SERVER_CMD, A_CMD, B_CMD replace a program (e.g. by the reference
# `server`/`client` where the student's does not run). Typed text goes
# through FIFOs; what each program printed is shown at the end, NULs as ^@.
# A Python 2 program needs a `python2` on PATH (there is none here).
set -u

here=$(cd "$(dirname "$0")" && pwd)
student=${1:?usage: by-hand.sh STUDENT [x-first|y-first|x-early] [NAME_A NAME_B]}
order=${2:-y-first}
name_a=${3:-Alice}
name_b=${4:-Bob}

if [ -z "${BY_HAND_IN_NS:-}" ]; then
    [ -d "$here/$student" ] || { echo "no student folder $here/$student" >&2; exit 2; }
    exec unshare --net env BY_HAND_IN_NS=1 "$0" "$@"
fi

# What a teacher reads in the student's files: how to build and start each
# program, where it must be reachable, and whether the name is typed before
# connecting (sam), given on the command line (gwen) or not read (ben).
build='' addrs='' type_first=0 typed=1
srv='python3 server.py' ca='python3 client.py' cb='python3 client.py'
case $student in
    ben-two-clients) srv='python3 Server.py' ca='python3 xClient.py' cb='python3 yClient.py' ;;
    carmen-textbook-stub) srv='python3 pa3_server.py' ca='python3 pa3_client.py' cb=$ca ;;
    dmitri-odd-names) srv='python3 PA3Server_Petrov_Lee.py' ca='python3 PA3Client_Petrov_Lee.py' cb=$ca ;;
    farid-argv-letter) ca='python3 client.py X' cb='python3 client.py Y' ;;
    gwen-name-argv) ca="python3 client.py $name_a" cb="python3 client.py $name_b" typed=0 ;;
    hugo-python2) srv='python2 server.py' ca='python2 client.py' cb=$ca ;;
    ines-cpp-make) build='make' srv='./server' ca='./client' cb=$ca ;;
    jack-cpp-plain) build='g++ -pthread -o server server.cpp && g++ -pthread -o client client.cpp'
                    srv='./server 12000' ca='./client' cb=$ca ;;
    omar-server-on-h2) addrs='10.0.0.2' ;;
    paula-mininet) addrs='10.0.0.1' ;;
    quinn-logging) srv='python3 PA3_Server_Team7.py' ca='python3 PA3_Client_Team7.py' cb=$ca ;;
    rosa-hostname) srv='python3 Server.py' ca='python3 Client.py' cb=$ca ;;
    sam-lan-address) addrs=${SAM_ADDR-192.168.1.23} type_first=1 ;;
esac
srv=${SERVER_CMD:-$srv} ca=${A_CMD:-$ca} cb=${B_CMD:-$cb}

work=$(mktemp -d /tmp/class-real.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
cp -r "$here/$student" "$work/s"
chmod 755 "$work"
chmod -R a+rwX "$work/s"
cd "$work/s" || exit 2

ip link set lo up
for a in $addrs; do ip addr add "$a/32" dev lo; done

# An array, not a function: started in the background, a function would be
# a subshell and $! its pid, not the program's.
as_nobody=(setpriv --reuid=nobody --regid=nogroup --clear-groups
    env PYTHONUNBUFFERED=1)

t0=$(date +%s%N)
note() { printf '[%5d ms] %s\n' $((($(date +%s%N) - t0) / 1000000)) "$*"; }
# established TCP ends on this namespace's loopback (two per connection)
ends() { ss -Htn state established | wc -l; }
listening() { [ -n "$(ss -Htln)" ]; }
ends_at_least() { [ "$(ends)" -ge "$1" ]; }
# waits up to 5 s for a command to succeed
wait_for() { for _ in $(seq 50); do "$@" && return 0; sleep 0.1; done; note "gave up waiting: $*"; }

if [ -n "$build" ]; then
    note "build: $build"
    "${as_nobody[@]}" sh -c "$build" || note "build failed"
fi

mkfifo a.in b.in
exec 3<>a.in 4<>b.in
note "server: $srv"
"${as_nobody[@]}" sh -c "exec $srv" </dev/null >server.out 2>&1 &
spid=$!
wait_for listening
note "listening: $(ss -Htln | awk '{print $4}' | tr '\n' ' ')"

note "client A: $ca"
"${as_nobody[@]}" sh -c "exec $ca" <a.in >a.out 2>&1 &
apid=$!
[ $type_first = 1 ] && { note "type into A: $name_a"; echo "$name_a" >&3; }
wait_for ends_at_least 2
sleep 0.5
if [ "$order" = x-early ] && [ $typed = 1 ] && [ $type_first = 0 ]; then
    note "type into A: $name_a"; echo "$name_a" >&3; sleep 0.7
fi
note "client B: $cb"
"${as_nobody[@]}" sh -c "exec $cb" <b.in >b.out 2>&1 &
bpid=$!
[ $type_first = 1 ] && { note "type into B: $name_b"; echo "$name_b" >&4; }
wait_for ends_at_least 4
note "connections: $(ss -Htn | awk '{print $4 "->" $5}' | tr '\n' ' ')"
sleep 0.5

if [ $typed = 1 ] && [ $type_first = 0 ]; then
    if [ "$order" = x-early ]; then
        note "type into B: $name_b"; echo "$name_b" >&4
    elif [ "$order" = x-first ]; then
        note "type into A: $name_a"; echo "$name_a" >&3; sleep 0.7
        note "type into B: $name_b"; echo "$name_b" >&4
    else
        note "type into B: $name_b"; echo "$name_b" >&4; sleep 0.7
        note "type into A: $name_a"; echo "$name_a" >&3
    fi
fi

for _ in $(seq 50); do
    [ -z "$(jobs -rp)" ] && break
    sleep 0.1
done
sleep 0.3
for p in server:$spid A:$apid B:$bpid; do
    if kill -0 "${p#*:}" 2>/dev/null; then
        note "${p%%:*} still running after 5 s: $(ps -o stat=,time=,pcpu= -p "${p#*:}") (stat, CPU time, %CPU)"
        kill "${p#*:}" 2>/dev/null
    else
        wait "${p#*:}"
        note "${p%%:*} exited with $?"
    fi
done
# anything a program left behind (a fork, a thread of a killed parent) runs
# in the copy: end it by its working directory, nothing else
for p in $(pgrep -u nobody); do
    case $(readlink "/proc/$p/cwd") in "$work"/*) note "left behind: $p"; kill -9 "$p" ;; esac
done
wait 2>/dev/null
for f in server a b; do
    echo "----- $f"
    cat -v "$f.out"
done
