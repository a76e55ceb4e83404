//! Adapting the network to programs we did not write (a scenario's
//! `adapt_network: true`, which grading sets): students hard-code where
//! their server listens and where their client dials — `localhost`,
//! `127.0.0.1`, their own machine's LAN address, another port — and only
//! a few of them can run across Mininet hosts as handed in. Instead of
//! editing their code, the network is made to fit it, in each host's own
//! namespace (nothing of the machine's is touched):
//!
//! - **before the server starts**, its host allows binding any address
//!   (`ip_nonlocal_bind`), so a server bound to `192.168.1.20` runs;
//! - **once it listens**, where it listens is read from its host's socket
//!   table (any address, any port). A listener on the host's own address
//!   or every address needs nothing; one on loopback (`127.0.0.1`,
//!   `127.0.1.1`) is reached through a `dnat` in the server host's
//!   prerouting hook with `route_localnet`; one on a foreign address gets
//!   that address on the host's loopback and the same `dnat`;
//! - **every TCP connection a client host opens** (that is all a PA3 client
//!   does) is sent to the server's host and port by a `dnat` in the client
//!   host's output hook, and `masquerade`d so that a connection dialed to
//!   `localhost` leaves with the host's own address (`route_localnet` lets
//!   it leave at all). The server sees the client's real address; the
//!   client's socket still shows what it dialed, which is how the report
//!   can say "client a dials localhost:12000; it was routed to h1".
//!
//! On the loopback backend every program shares one namespace: with a
//! namespace of the job's own ([`super::local::Local::isolated`]) one
//! output `dnat` sends every new connection to the listener; on the
//! machine's own loopback nothing may be changed, and routing is refused.
//!
//! Everything is undone at the end of the run ([`HostChange::undo`]): a
//! reused network starts the next run as it was built.
//!
//! Verified on this kernel (no netem, nftables NAT built in): see the
//! project's DESIGN notes and `tests/e2e/adapt.rs`.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::orchestrator::sys::{self, Netns};

/// The nftables table every rule of ours lives in (one per namespace).
pub const TABLE: &str = "pa3_route";

/// Why a change could not be made in a host's namespace, or undone, or
/// read back: what was tried, where, and the system's own error as the
/// source.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The thread could not move into the host's network namespace.
    #[error("cannot enter the host's network namespace")]
    EnterNamespace(#[source] io::Error),
    #[error("cannot read {}", file.display())]
    ReadSysctl {
        file: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot set {} to {value}", file.display())]
    SetSysctl {
        file: PathBuf,
        value: String,
        #[source]
        source: io::Error,
    },
    /// A tool the change needs is not on the PATH.
    #[error("`{program}` is not installed (apt-get install -y {package})")]
    NotInstalled {
        program: String,
        package: &'static str,
    },
    /// The command could not be started at all.
    #[error("cannot run {command}")]
    CannotRun {
        command: String,
        #[source]
        source: io::Error,
    },
    /// The command ran and failed: what it printed on stderr.
    #[error("`{command}` failed: {stderr}")]
    Failed { command: String, stderr: String },
}

/// Where a server listens, as its host's socket table shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listen {
    /// Every address (`0.0.0.0`, `::`, Python's `''`): reachable as is.
    Anywhere,
    /// The host's own address on the network: reachable as is.
    HostAddress,
    /// A loopback address (`127.0.0.1`, `localhost`, `127.0.1.1`, the
    /// address `gethostname()` resolves to on Debian).
    Loopback(Ipv4Addr),
    /// An address the host does not have (the student's LAN address).
    Foreign(Ipv4Addr),
    /// An IPv6 address other than `::`: not routed.
    Ipv6(std::net::Ipv6Addr),
}

impl Listen {
    /// What a listener on `addr` is, on a host whose address is `host_ip`.
    pub fn of(addr: IpAddr, host_ip: IpAddr) -> Listen {
        match addr {
            IpAddr::V4(a) if a.is_unspecified() => Listen::Anywhere,
            IpAddr::V6(a) if a.is_unspecified() => Listen::Anywhere,
            a if a == host_ip => Listen::HostAddress,
            IpAddr::V4(a) if a.is_loopback() => Listen::Loopback(a),
            IpAddr::V4(a) => Listen::Foreign(a),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => Listen::of(IpAddr::V4(v4), host_ip),
                None => Listen::Ipv6(a),
            },
        }
    }

    /// Whether a program on another host can reach it without help.
    pub fn reachable_as_is(self) -> bool {
        matches!(self, Listen::Anywhere | Listen::HostAddress)
    }

    /// The address connections are rewritten to on the server's host
    /// (`None`: they need no rewriting there).
    fn target(self) -> Option<Ipv4Addr> {
        match self {
            Listen::Loopback(a) | Listen::Foreign(a) => Some(a),
            _ => None,
        }
    }
}

/// What is changed in one namespace, so that it can be undone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostChange {
    /// `(sysctl path under /proc/sys, value)`: the value set.
    pub sysctls: Vec<(String, String)>,
    /// Addresses added to the namespace's loopback (`/32`).
    pub addresses: Vec<Ipv4Addr>,
    /// A default route through this interface, where the namespace has
    /// none (a Mininet host knows only 10.0.0.0/8: a client dialing its
    /// home LAN's address would fail with "network is unreachable" before
    /// any packet reached the output hook).
    pub default_route: Option<String>,
    /// The rules of [`TABLE`], as an `nft -f` script.
    pub nft: Option<String>,
}

/// The sysctls that let a server bind an address its host lacks.
pub fn before_server() -> HostChange {
    HostChange {
        sysctls: vec![
            ("net/ipv4/ip_nonlocal_bind".into(), "1".into()),
            ("net/ipv6/ip_nonlocal_bind".into(), "1".into()),
        ],
        ..HostChange::default()
    }
}

/// The server host's change once it listens at `listen` on port `port`
/// (`intf`: the host's interface toward the clients). `None` when
/// connections to the host's address reach it as they are.
pub fn server_side(listen: Listen, port: u16, intf: &str) -> Option<HostChange> {
    let target = listen.target()?;
    let mut change = HostChange::default();
    if let Listen::Loopback(_) = listen {
        for conf in ["all", intf] {
            change
                .sysctls
                .push((format!("net/ipv4/conf/{conf}/route_localnet"), "1".into()));
        }
    } else {
        change.addresses.push(target);
    }
    change.nft = Some(table(&[chain(
        "pre",
        "nat hook prerouting priority -100",
        &format!("tcp dport {port} dnat to {target}:{port}"),
    )]));
    Some(change)
}

/// A client host's change: every TCP connection it opens goes to
/// `server` (the server host's address and the listener's port), and
/// where it was dialed is kept in the set [`DIALED`].
pub fn client_side(server: SocketAddrV4Like, intf: &str) -> HostChange {
    let (ip, port) = (server.ip, server.port);
    HostChange {
        sysctls: vec![("net/ipv4/conf/all/route_localnet".into(), "1".into())],
        addresses: Vec::new(),
        default_route: Some(intf.to_string()),
        nft: Some(table(&[
            dialed_set(),
            chain(
                "out",
                "nat hook output priority -100",
                &format!("meta l4proto tcp {KEEP_DIALED} dnat to {ip}:{port}"),
            ),
            chain(
                "post",
                "nat hook postrouting priority 100",
                &format!("ip daddr {ip} tcp dport {port} masquerade"),
            ),
        ])),
    }
}

/// One namespace holding the server and the clients (the loopback
/// backend's job namespace, whose loopback has `present`): every new TCP
/// connection goes to the listener at `listen` (to `127.0.0.1` for one on
/// every address); an address the namespace lacks is added to its
/// loopback. `None` for an IPv6 listener other than `::`.
pub fn shared_namespace(listen: SocketAddr, present: &[Ipv4Addr]) -> Option<HostChange> {
    let target = match listen.ip() {
        ip if ip.is_unspecified() => Ipv4Addr::LOCALHOST,
        IpAddr::V4(a) => a,
        IpAddr::V6(a) => a.to_ipv4_mapped()?,
    };
    let port = listen.port();
    let mut change = HostChange {
        default_route: Some("lo".into()),
        ..HostChange::default()
    };
    if !target.is_loopback() && !present.contains(&target) {
        change.addresses.push(target);
    }
    change.nft = Some(table(&[
        dialed_set(),
        chain(
            "out",
            "nat hook output priority -100",
            &format!("meta l4proto tcp {KEEP_DIALED} dnat to {target}:{port}"),
        ),
    ]));
    Some(change)
}

/// The set of [`TABLE`] holding every address and port a client host's
/// programs dialed, before they were rewritten.
pub const DIALED: &str = "dialed";

/// The rule's part that adds where a connection was dialed to [`DIALED`].
const KEEP_DIALED: &str = "add @dialed { ip daddr . tcp dport }";

fn dialed_set() -> String {
    format!(
        "  set {DIALED} {{\n    type ipv4_addr . inet_service; flags dynamic; size 256;\n  }}\n"
    )
}

/// Where the programs of `netns` dialed, as [`DIALED`] holds it (in the
/// set's order); empty when the namespace has no such set.
pub fn dialed(netns: Option<&Netns>) -> Result<Vec<SocketAddr>, RouteError> {
    let out = output(netns, &["nft", "list", "set", "ip", TABLE, DIALED])?;
    Ok(parse_elements(&out))
}

/// The `a.b.c.d . port` elements of `nft list set`'s text.
fn parse_elements(text: &str) -> Vec<SocketAddr> {
    let Some(start) = text.find("elements = {") else {
        return Vec::new();
    };
    let body = &text[start + "elements = {".len()..];
    let body = body.split('}').next().unwrap_or_default();
    body.split(',')
        .filter_map(|e| {
            let (ip, port) = e.trim().split_once(" . ")?;
            Some(SocketAddr::new(
                ip.trim().parse().ok()?,
                port.trim().parse().ok()?,
            ))
        })
        .collect()
}

/// An IPv4 address and port (the server as the clients are sent to it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketAddrV4Like {
    pub ip: Ipv4Addr,
    pub port: u16,
}

fn chain(name: &str, hook: &str, rule: &str) -> String {
    format!("  chain {name} {{\n    type {hook}; policy accept;\n    {rule}\n  }}\n")
}

fn table(chains: &[String]) -> String {
    let mut s = format!("table ip {TABLE} {{\n");
    for c in chains {
        s.push_str(c);
    }
    s.push_str("}\n");
    s
}

impl HostChange {
    /// Makes the change in `netns` (`None`: the calling thread's own).
    /// The sysctls' earlier values are returned, for [`HostChange::undo`].
    pub fn apply(&self, netns: Option<&Netns>) -> Result<Vec<(String, String)>, RouteError> {
        let mut before = Vec::new();
        for (path, value) in &self.sysctls {
            let old = in_ns(netns, || sysctl(path, Some(value)))??;
            before.push((path.clone(), old));
        }
        for a in &self.addresses {
            run(
                netns,
                &["ip", "addr", "replace", &format!("{a}/32"), "dev", "lo"],
                None,
            )?;
        }
        if let Some(dev) = &self.default_route {
            let mut argv = vec!["ip", "route", "replace", "default", "dev", dev];
            if dev == "lo" {
                argv.extend(["src", "127.0.0.1"]);
            }
            run(netns, &argv, None)?;
        }
        if let Some(script) = &self.nft {
            // A table left by a run that died is replaced, not added to.
            let mut all = format!("table ip {TABLE}\ndelete table ip {TABLE}\n");
            all.push_str(script);
            run(netns, &["nft", "-f", "-"], Some(&all))?;
        }
        Ok(before)
    }

    /// Undoes the change: the table, the addresses, the sysctls as they
    /// were (`before`, from [`HostChange::apply`]). Every part is tried;
    /// the first failure is returned.
    pub fn undo(
        &self,
        netns: Option<&Netns>,
        before: &[(String, String)],
    ) -> Result<(), RouteError> {
        let mut first: Option<RouteError> = None;
        let mut note = |r: Result<(), RouteError>| {
            if let Err(e) = r {
                first.get_or_insert(e);
            }
        };
        if self.nft.is_some() {
            note(run(netns, &["nft", "delete", "table", "ip", TABLE], None));
        }
        for a in &self.addresses {
            note(run(
                netns,
                &["ip", "addr", "del", &format!("{a}/32"), "dev", "lo"],
                None,
            ));
        }
        if let Some(dev) = &self.default_route {
            note(run(
                netns,
                &["ip", "route", "del", "default", "dev", dev],
                None,
            ));
        }
        for (path, old) in before {
            note(in_ns(netns, || sysctl(path, Some(old))).and_then(|r| r.map(|_| ())));
        }
        first.map_or(Ok(()), Err)
    }

    /// The change in words, one line each (for `orchestrator.log`).
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (path, value) in &self.sysctls {
            out.push(format!("sysctl {}={value}", path.replace('/', ".")));
        }
        for a in &self.addresses {
            out.push(format!("ip addr add {a}/32 dev lo"));
        }
        if let Some(dev) = &self.default_route {
            out.push(format!("ip route add default dev {dev}"));
        }
        if let Some(script) = &self.nft {
            // The rules themselves: not the table, chain and hook lines.
            let skip = ["table ", "chain ", "set ", "type ", "}"];
            for line in script.lines().map(str::trim) {
                if !line.is_empty() && !skip.iter().any(|s| line.starts_with(s)) {
                    out.push(format!("nft: {line}"));
                }
            }
        }
        out
    }
}

/// Calls `f` in `netns` (or where the thread is).
fn in_ns<T>(netns: Option<&Netns>, f: impl FnOnce() -> T) -> Result<T, RouteError> {
    match netns {
        Some(ns) => ns.enter(f).map_err(RouteError::EnterNamespace),
        None => Ok(f()),
    }
}

/// Reads a sysctl of the calling thread's namespace (`/proc/sys/<path>`:
/// the network ones belong to the namespace of the thread that opens the
/// file) and, with `value`, sets it; gives the value it had.
fn sysctl(path: &str, value: Option<&str>) -> Result<String, RouteError> {
    let file = PathBuf::from(format!("/proc/sys/{path}"));
    let old = match std::fs::read_to_string(&file) {
        Ok(text) => text.trim().to_string(),
        Err(source) => return Err(RouteError::ReadSysctl { file, source }),
    };
    if let Some(v) = value {
        if let Err(source) = std::fs::write(&file, v) {
            let value = v.to_string();
            return Err(RouteError::SetSysctl {
                file,
                value,
                source,
            });
        }
    }
    Ok(old)
}

/// Runs a command to its end in `netns`, with `input` on its stdin.
fn run(netns: Option<&Netns>, argv: &[&str], input: Option<&str>) -> Result<(), RouteError> {
    command(netns, argv, input).map(|_| ())
}

/// Runs a command to its end in `netns`; gives what it printed.
fn output(netns: Option<&Netns>, argv: &[&str]) -> Result<String, RouteError> {
    command(netns, argv, None)
}

fn command(
    netns: Option<&Netns>,
    argv: &[&str],
    input: Option<&str>,
) -> Result<String, RouteError> {
    let Some(program) = crate::orchestrator::sys::find_program(argv[0]) else {
        let package = if argv[0] == "nft" {
            "nftables"
        } else {
            "iproute2"
        };
        return Err(RouteError::NotInstalled {
            program: argv[0].to_string(),
            package,
        });
    };
    let mut expr = duct::cmd(program, &argv[1..])
        .stdout_capture()
        .stderr_capture()
        .unchecked();
    expr = match input {
        Some(text) => expr.stdin_bytes(text.as_bytes().to_vec()),
        None => expr.stdin_null(),
    };
    let out = sys::start_in(netns, &expr)
        .and_then(|h| h.wait().cloned())
        .map_err(|source| RouteError::CannotRun {
            command: argv.join(" "),
            source,
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(RouteError::Failed {
            command: argv.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// `localhost:12000` for a loopback address a person would have typed as
/// `localhost`, the address otherwise.
pub fn shown(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(a) if a == Ipv4Addr::LOCALHOST => format!("localhost:{}", addr.port()),
        IpAddr::V4(a) if a.is_unspecified() => format!("*:{}", addr.port()),
        IpAddr::V6(a) if a.is_unspecified() => format!("*:{}", addr.port()),
        _ => addr.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_listener_is_told_by_its_address() {
        let host = v4("10.0.0.1");
        assert_eq!(Listen::of(v4("0.0.0.0"), host), Listen::Anywhere);
        assert_eq!(Listen::of(v4("::"), host), Listen::Anywhere);
        assert_eq!(Listen::of(v4("10.0.0.1"), host), Listen::HostAddress);
        assert_eq!(
            Listen::of(v4("127.0.1.1"), host),
            Listen::Loopback(Ipv4Addr::new(127, 0, 1, 1))
        );
        assert_eq!(
            Listen::of(v4("::ffff:127.0.0.1"), host),
            Listen::Loopback(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            Listen::of(v4("192.168.1.20"), host),
            Listen::Foreign(Ipv4Addr::new(192, 168, 1, 20))
        );
        assert!(matches!(Listen::of(v4("::1"), host), Listen::Ipv6(_)));
        assert!(Listen::Anywhere.reachable_as_is());
        assert!(!Listen::Loopback(Ipv4Addr::LOCALHOST).reachable_as_is());
    }

    #[test]
    fn a_server_on_loopback_is_reached_through_prerouting_with_route_localnet() {
        let c = server_side(Listen::Loopback(Ipv4Addr::LOCALHOST), 5000, "h1-eth0").unwrap();
        assert_eq!(
            c.sysctls,
            [
                (
                    "net/ipv4/conf/all/route_localnet".to_string(),
                    "1".to_string()
                ),
                (
                    "net/ipv4/conf/h1-eth0/route_localnet".to_string(),
                    "1".to_string()
                )
            ]
        );
        assert!(c.addresses.is_empty());
        let nft = c.nft.unwrap();
        assert!(nft.starts_with("table ip pa3_route {"), "{nft}");
        assert!(nft.contains("type nat hook prerouting priority -100; policy accept;"));
        assert!(nft.contains("tcp dport 5000 dnat to 127.0.0.1:5000"));
    }

    #[test]
    fn a_server_on_a_foreign_address_gets_that_address_on_its_loopback() {
        let a = Ipv4Addr::new(192, 168, 1, 20);
        let c = server_side(Listen::Foreign(a), 12000, "h1-eth0").unwrap();
        assert_eq!(c.addresses, [a]);
        assert!(c.sysctls.is_empty());
        assert!(c
            .nft
            .unwrap()
            .contains("tcp dport 12000 dnat to 192.168.1.20:12000"));
        assert_eq!(server_side(Listen::Anywhere, 12000, "h1-eth0"), None);
        assert_eq!(server_side(Listen::HostAddress, 12000, "h1-eth0"), None);
    }

    #[test]
    fn a_client_host_sends_every_connection_to_the_server_and_masquerades_it() {
        let c = client_side(
            SocketAddrV4Like {
                ip: Ipv4Addr::new(10, 0, 0, 1),
                port: 5000,
            },
            "h2-eth0",
        );
        let nft = c.nft.as_deref().unwrap();
        assert!(nft.contains("type nat hook output priority -100"));
        assert!(nft.contains("set dialed {"));
        assert!(nft.contains(
            "meta l4proto tcp add @dialed { ip daddr . tcp dport } dnat to 10.0.0.1:5000"
        ));
        assert_eq!(c.default_route.as_deref(), Some("h2-eth0"));
        assert!(nft.contains("ip daddr 10.0.0.1 tcp dport 5000 masquerade"));
        assert_eq!(c.sysctls[0].0, "net/ipv4/conf/all/route_localnet");
        assert_eq!(
            c.describe(),
            [
                "sysctl net.ipv4.conf.all.route_localnet=1",
                "ip route add default dev h2-eth0",
                "nft: meta l4proto tcp add @dialed { ip daddr . tcp dport } dnat to 10.0.0.1:5000",
                "nft: ip daddr 10.0.0.1 tcp dport 5000 masquerade"
            ]
        );
    }

    #[test]
    fn one_shared_namespace_sends_every_connection_to_the_listener() {
        let present = [Ipv4Addr::new(10, 0, 0, 1)];
        let any = shared_namespace("0.0.0.0:12000".parse().unwrap(), &present).unwrap();
        assert!(any.nft.unwrap().contains("dnat to 127.0.0.1:12000"));
        assert!(any.addresses.is_empty());
        let f = shared_namespace("192.168.0.9:9000".parse().unwrap(), &present).unwrap();
        assert_eq!(f.addresses, [Ipv4Addr::new(192, 168, 0, 9)]);
        assert!(f.nft.unwrap().contains("dnat to 192.168.0.9:9000"));
        let held = shared_namespace("10.0.0.1:12000".parse().unwrap(), &present).unwrap();
        assert!(held.addresses.is_empty());
        assert_eq!(shared_namespace("[::1]:1".parse().unwrap(), &present), None);
    }

    #[test]
    fn what_was_dialed_is_read_from_the_sets_elements() {
        let text = "table ip pa3_route {\n\tset dialed {\n\t\ttype ipv4_addr . inet_service\n\t\tsize 256\n\t\tflags dynamic\n\t\telements = { 127.0.0.1 . 7777,\n\t\t\t     10.9.9.9 . 12000 }\n\t}\n}\n";
        assert_eq!(
            parse_elements(text),
            [
                "127.0.0.1:7777".parse::<SocketAddr>().unwrap(),
                "10.9.9.9:12000".parse().unwrap()
            ]
        );
        assert!(parse_elements("table ip pa3_route {\n\tset dialed {\n\t}\n}\n").is_empty());
    }

    #[test]
    fn addresses_are_shown_as_a_person_typed_them() {
        assert_eq!(shown("127.0.0.1:12000".parse().unwrap()), "localhost:12000");
        assert_eq!(shown("0.0.0.0:5000".parse().unwrap()), "*:5000");
        assert_eq!(shown("10.0.0.2:12000".parse().unwrap()), "10.0.0.2:12000");
    }

    #[test]
    fn a_missing_tool_is_named_with_its_package() {
        let e = command(None, &["pa3-no-such-tool", "x"], None).unwrap_err();
        assert!(matches!(e, RouteError::NotInstalled { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "`pa3-no-such-tool` is not installed (apt-get install -y iproute2)"
        );
    }

    #[test]
    fn an_unreadable_sysctl_names_its_file_and_keeps_the_cause() {
        let e = sysctl("net/pa3/no_such_setting", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot read /proc/sys/net/pa3/no_such_setting"
        );
        let cause = std::error::Error::source(&e).expect("the I/O error as the source");
        assert!(cause.to_string().contains("No such file"), "{cause}");
    }

    #[test]
    #[ignore = "needs root (a network namespace of its own)"]
    fn a_change_is_undone_to_the_last_rule_address_route_and_sysctl() {
        assert!(
            nix::unistd::geteuid().is_root(),
            "this test needs root (a network namespace of its own); run it as root"
        );
        // A thread with a namespace of its own, which goes with it.
        std::thread::spawn(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            run(None, &["ip", "link", "set", "lo", "up"], None).unwrap();
            let ruleset = || output(None, &["nft", "list", "ruleset"]).unwrap();
            let routes = || output(None, &["ip", "route", "show"]).unwrap();
            let lo = || output(None, &["ip", "-4", "addr", "show", "dev", "lo"]).unwrap();
            let (rules0, routes0, lo0) = (ruleset(), routes(), lo());
            let localnet0 = sysctl("net/ipv4/conf/all/route_localnet", None).unwrap();
            let mut change = client_side(
                SocketAddrV4Like {
                    ip: Ipv4Addr::new(10, 0, 0, 1),
                    port: 12000,
                },
                "lo",
            );
            change.addresses.push(Ipv4Addr::new(192, 168, 7, 7));
            let before = change.apply(None).unwrap();
            assert!(ruleset().contains("pa3_route"), "{}", ruleset());
            assert!(routes().contains("default dev lo"), "{}", routes());
            assert!(lo().contains("192.168.7.7"));
            assert_eq!(
                sysctl("net/ipv4/conf/all/route_localnet", None).unwrap(),
                "1"
            );
            // Applied again (a run that died left it): replaced, not doubled.
            let again = change.apply(None).unwrap();
            assert_eq!(ruleset().matches("chain out").count(), 1);
            change.undo(None, &again).unwrap();
            // Nothing left to undo: the first failure says which command.
            match change.undo(None, &before).unwrap_err() {
                RouteError::Failed { command, stderr } => {
                    assert_eq!(command, "nft delete table ip pa3_route");
                    assert!(!stderr.is_empty());
                }
                other => panic!("not a failed command: {other:?}"),
            }
            assert_eq!((ruleset(), routes(), lo()), (rules0, routes0, lo0));
            assert_eq!(
                sysctl("net/ipv4/conf/all/route_localnet", None).unwrap(),
                localnet0
            );
        })
        .join()
        .unwrap();
    }
}
