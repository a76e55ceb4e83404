//! What several checks read from the same events, read once: the ack each
//! client printed, the moments the clients were typed into, the order the
//! server itself reported, and from those the ack the run should show.

use crate::orchestrator::event::{millis, Event, EventKind};
use crate::orchestrator::link::Conditions;
use crate::orchestrator::scenario::{ValidClient, ValidScenario};
use crate::pa3::client::FROM_SERVER;
use crate::pa3::protocol::{self, Ack, Framing, Reading};

/// The ack a run should show, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Expected {
    /// `None`: either order is right.
    pub ack: Option<String>,
    /// Why, in words: `the sends were 200 ms apart (≥ 100 ms), …`.
    pub basis: String,
}

/// An ack a client heard: how it was read, and the event it was in.
pub type HeardAck = (Reading<Ack>, Event);

/// Derived once per run.
pub struct Facts {
    /// Per client (the scenario's order): the first ack it printed, how it
    /// was read, and the event it was in.
    pub acks: Vec<(String, Option<HeardAck>)>,
    /// The first ack any client printed.
    pub observed_ack: Option<Ack>,
    /// The lines typed into the clients, in order (the sends).
    pub sends: Vec<Event>,
    /// The ack the server itself printed (our server's `Acknowledgment: …`).
    pub server_ack: Option<(Ack, Event)>,
    pub expected: Expected,
}

/// What a client heard, as the checks read it: our own client (no `cmd`,
/// or a `cmd` whose program is `client`, which the runner resolves to ours)
/// prints every message it received as `From Server: <message>`, so those
/// lines are read as the whole messages the server sent (and its other
/// lines not at all); any other program's stdout lines are read as printed
/// lines.
pub fn heard<'e>(
    client: &'e ValidClient,
    events: &'e [Event],
) -> impl Iterator<Item = (&'e str, Framing, &'e Event)> + 'e {
    let ours = client
        .cmd()
        .is_none_or(|argv| argv.first().is_some_and(|p| p == "client"));
    events.iter().filter_map(move |e| {
        let text = e.stdout_of(client.id())?;
        if ours {
            let message = text.strip_prefix(FROM_SERVER)?;
            Some((
                message.strip_prefix(' ').unwrap_or(message),
                Framing::Message,
                e,
            ))
        } else {
            Some((text, Framing::Printed, e))
        }
    })
}

/// The first ack `client` heard.
fn ack_of(client: &ValidClient, events: &[Event]) -> Option<HeardAck> {
    heard(client, events)
        .find_map(|(text, framing, e)| protocol::read_ack(text, framing).map(|a| (a, e.clone())))
}

/// The first ack the server printed (our server's `Acknowledgment: …`).
fn server_ack_of(events: &[Event]) -> Option<(Ack, Event)> {
    events.iter().find_map(|e| {
        let text = e.stdout_of("server")?;
        protocol::parse_ack(text).map(|a| (a, e.clone()))
    })
}

impl Facts {
    pub fn of(scenario: &ValidScenario, events: &[Event]) -> Facts {
        let acks: Vec<(String, Option<HeardAck>)> = scenario
            .clients()
            .iter()
            .map(|c| (c.id().to_string(), ack_of(c, events)))
            .collect();
        let observed_ack = acks
            .iter()
            .find_map(|(_, a)| a.as_ref().map(|(a, _)| a.value.clone()));
        let sends: Vec<Event> = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Typed { .. }))
            .cloned()
            .collect();
        let server_ack = server_ack_of(events);
        let untimed = untimed_sends(scenario, events);
        let server_own = server_ack.as_ref().map(|(a, _)| a);
        let expected = if untimed.is_empty() {
            linked_expected(scenario, events, &sends, server_own)
                .unwrap_or_else(|| expected(scenario, &sends, server_own))
        } else {
            untimed_expected(&untimed, server_ack.as_ref().map(|(a, _)| a))
        };
        Facts {
            acks,
            observed_ack,
            sends,
            server_ack,
            expected,
        }
    }

    /// The events of the acks the clients printed.
    pub fn ack_events(&self) -> Vec<Event> {
        self.acks
            .iter()
            .filter_map(|(_, a)| a.as_ref().map(|(_, e)| e.clone()))
            .collect()
    }
}

/// The clients whose name was typed before they were greeted: they asked
/// for it before connecting, so their message left when the greeting came,
/// not at a step of the scenario.
fn untimed_sends<'a>(scenario: &'a ValidScenario, events: &[Event]) -> Vec<&'a str> {
    scenario
        .clients()
        .iter()
        .filter(|c| {
            let typed = events
                .iter()
                .find(|e| e.process == c.id() && matches!(e.kind, EventKind::Typed { .. }));
            let greeted = events.iter().find(|e| {
                e.stdout_of(c.id())
                    .is_some_and(|t| protocol::parse_greeting(t).is_some())
            });
            match (typed, greeted) {
                (Some(t), Some(g)) => t.t_ms < g.t_ms,
                (Some(_), None) => true,
                _ => false,
            }
        })
        .map(|c| c.id())
        .collect()
}

/// One message's way to the server: when it was due there (its send,
/// plus the delay of its client's link and of the server's), give or take
/// their jitters; `None` on a lossy way (a retransmission can reorder).
fn due_at(scenario: &ValidScenario, events: &[Event], send: &Event) -> Option<(f64, f64)> {
    let client = scenario.clients().iter().find(|c| c.id() == send.process)?;
    let at = |host: &str| link_at(scenario, events, host, send.t_ms);
    let (mine, server) = (at(client.host()), at(scenario.server().host()));
    if mine.loss_pct > 0.0 || server.loss_pct > 0.0 {
        return None;
    }
    Some((
        send.t_ms + mine.delay_ms + server.delay_ms,
        mine.jitter_ms + server.jitter_ms,
    ))
}

/// `host`'s link conditions at `t_ms`: the scenario's start, then the
/// `link:` steps carried out by then.
fn link_at(scenario: &ValidScenario, events: &[Event], host: &str, t_ms: f64) -> Conditions {
    let start = scenario
        .links()
        .of(host)
        .map(|l| l.conditions)
        .unwrap_or_default();
    events
        .iter()
        .rev()
        .filter(|e| e.t_ms <= t_ms)
        .find_map(|e| match &e.kind {
            EventKind::LinkChanged {
                host: h,
                conditions,
            } if h == host => Some(*conditions),
            _ => None,
        })
        .unwrap_or(start)
}

/// The server's own order, as the ack expected, `why` it decides.
fn server_order(why: String, server_ack: Option<&Ack>) -> Expected {
    match server_ack {
        Some(a) => Expected {
            ack: Some(a.line()),
            basis: format!("{why}: the ack must match the server's own observed order"),
        },
        None => Expected {
            ack: None,
            basis: format!(
                "{why}, and the server printed no order of its own: either order is right"
            ),
        },
    }
}

/// The ack a run whose links delay the messages should show: the order
/// they were due at the server, when that is at least the margin (and
/// the jitters) apart; else the server's own order. `None` when no link
/// is impaired (the send order decides, see [`expected`]) or the user
/// wrote the ack.
fn linked_expected(
    scenario: &ValidScenario,
    events: &[Event],
    sends: &[Event],
    server_ack: Option<&Ack>,
) -> Option<Expected> {
    if scenario.links().engine.is_none() || scenario.expect_ack().is_some() || sends.len() < 2 {
        return None;
    }
    let derived = protocol::parse_ack(scenario.derived_ack()?)?;
    let margin_ms = scenario.order_margin().as_secs_f64() * 1000.0;
    let server_order = |why: String| server_order(why, server_ack);
    let (Some((first, j1)), Some((second, j2))) = (
        due_at(scenario, events, &sends[0]),
        due_at(scenario, events, &sends[1]),
    ) else {
        return Some(server_order(
            "a lossy link may retransmit either message".into(),
        ));
    };
    let gap = second - first;
    let need = margin_ms + j1 + j2;
    let shown = |ms: f64| millis((ms * 1000.0).round() / 1000.0);
    let sent = shown(sends[1].t_ms - sends[0].t_ms);
    if gap == 0.0 {
        // A tie (possible with a margin of 0): only the server can break it.
        return Some(server_order(
            "with the links' delays the messages were due at the server at the same moment".into(),
        ));
    }
    if gap.abs() < need {
        return Some(server_order(format!(
            "with the links' delays the messages were due at the server {} ms apart (< {} ms with the margin and jitter)",
            shown(gap.abs()),
            shown(need)
        )));
    }
    let reversed = gap.is_sign_negative();
    let (ack, order) = if reversed {
        let swapped = Ack {
            first: derived.first.other(),
            first_name: derived.second_name,
            second_name: derived.first_name,
        };
        (swapped, "the reverse of the send order")
    } else {
        (derived, "the send order")
    };
    Some(Expected {
        ack: Some(ack.line()),
        basis: format!(
            "the sends were {sent} ms apart, and with the links' delays the messages were due at the server {} ms apart (≥ {} ms with the margin and jitter): arrival follows {order}",
            shown(gap.abs()),
            shown(need)
        ),
    })
}

/// The ack a run with untimed sends should show: the server's own order.
fn untimed_expected(untimed: &[&str], server_ack: Option<&Ack>) -> Expected {
    let who = untimed
        .iter()
        .map(|id| format!("client {id}"))
        .collect::<Vec<_>>()
        .join(" and ");
    let why = if untimed.len() == 1 {
        format!("{who} asked for its name before it was greeted, so its message left when the greeting came, not at a step: either order may arrive first")
    } else {
        format!("{who} asked for their names before they were greeted, so their messages left when the greetings came, not at a step: either order may arrive first")
    };
    match server_ack {
        Some(a) => Expected {
            ack: Some(a.line()),
            basis: format!("{why}, and the ack must match the server's own observed order"),
        },
        None => Expected {
            ack: None,
            basis: format!("{why}, and the server printed no order of its own"),
        },
    }
}

/// The ack the run should show: the user's, else the send order when the
/// sends were far enough apart, else the server's own order.
fn expected(scenario: &ValidScenario, sends: &[Event], server_ack: Option<&Ack>) -> Expected {
    if let Some(a) = scenario.expect_ack() {
        return Expected {
            ack: Some(a.to_string()),
            basis: "as the scenario's expect.ack says".into(),
        };
    }
    let gap_ms = (sends.len() >= 2).then(|| sends[1].t_ms - sends[0].t_ms);
    let margin_ms = scenario.order_margin().as_secs_f64() * 1000.0;
    // Sub-millisecond gaps are written as such; longer ones to the ms.
    let shown = |ms: f64| {
        if ms < 10.0 {
            millis(ms)
        } else {
            format!("{ms:.0}")
        }
    };
    let (ack, basis) = match (gap_ms, scenario.derived_ack()) {
        (Some(gap), Some(d)) if gap >= margin_ms => (
            Some(d.to_string()),
            format!("the sends were {} ms apart (≥ {} ms), so arrival follows send order", shown(gap), shown(margin_ms)),
        ),
        (Some(gap), Some(_)) => match server_ack {
            Some(a) => (
                Some(a.line()),
                format!("the sends were only {} ms apart (< {} ms): either order may arrive first, so the ack must match the server's own observed order", shown(gap), shown(margin_ms)),
            ),
            None => (
                None,
                format!("the sends were only {} ms apart (< {} ms) and the server printed no order of its own: either order is right", shown(gap), shown(margin_ms)),
            ),
        },
        (None, Some(d)) => (Some(d.to_string()), "from the send order".into()),
        _ => (None, "no send order to compare with".into()),
    };
    Expected { ack, basis }
}
