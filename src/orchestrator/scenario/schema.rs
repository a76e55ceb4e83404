//! The scenario as a person writes it: plain serde types, every mapping
//! with `deny_unknown_fields` so that a misspelt key is an error, not a
//! silently ignored line. Nothing here checks a rule; [`super::validate`]
//! turns a [`Scenario`] into a [`super::ValidScenario`].

use std::collections::BTreeMap;

use serde::Deserialize;

/// A scenario as written in YAML.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub topology: TopologySpec,
    /// Each host's own link (`links: { h2: { delay_ms: 80 } }`), field by
    /// field over `topology.link`.
    #[serde(default)]
    pub links: BTreeMap<String, LinkSpec>,
    #[serde(default)]
    pub server: ServerSpec,
    pub clients: Vec<ClientSpec>,
    /// Written as one-key maps (`- connect: a`), not YAML tags.
    #[serde(with = "serde_yaml::with::singleton_map_recursive")]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub expect: ExpectSpec,
    /// Seconds the whole run may take before everything still running is stopped.
    pub timeout_s: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologySpec {
    pub hosts: Option<Vec<String>>,
    pub switch: Option<String>,
    pub link: Option<LinkSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub bw_mbit: Option<f64>,
    pub delay_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub loss_pct: Option<f64>,
}

/// `link: { host: h2, delay_ms: 0 }`: a host's link changes during the run
/// (the fields not given keep their values).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkStep {
    pub host: String,
    pub delay_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
    pub loss_pct: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub cmd: Option<CommandSpec>,
    /// The server may keep serving after the round (the seed's "infinite
    /// loop"): once both clients have ended it is stopped, and that is not
    /// a failure.
    pub keeps_running: Option<bool>,
    /// Programs we did not write: find where the server listens (any
    /// address, any port) and route every connection a client host opens
    /// to it (see `net::route`), reporting what had to be adapted.
    pub adapt_network: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    pub id: String,
    pub host: String,
    pub name: String,
    pub cmd: Option<CommandSpec>,
    /// Type the name the moment the client asks for it (reads its stdin),
    /// greeted or not — as a person at its terminal would — instead of at
    /// its `send` step.
    pub eager: Option<bool>,
}

/// A program to run: one string split like a shell would split words (no
/// shell ever runs it), or a list of arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CommandSpec {
    Line(String),
    Argv(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Start this client and wait until the server's host has its connection.
    Connect(String),
    /// Once this client has been greeted, type its name into its stdin;
    /// `send: [a, b]` types into both at once (a simultaneous send).
    Send(Sends),
    /// Wait this many milliseconds (fractions allowed: 0.2 is 200 µs).
    SleepMs(f64),
    /// Wait until a process prints a line.
    WaitFor(WaitSpec),
    /// Change a host's link from now on.
    Link(LinkStep),
}

/// `send: a`, or `send: [a, b]` for clients that send at the same moment.
#[derive(Debug)]
pub enum Sends {
    One(String),
    Together(Vec<String>),
}

impl<'de> Deserialize<'de> for Sends {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Sends, D::Error> {
        struct SendsVisitor;
        impl<'de> serde::de::Visitor<'de> for SendsVisitor {
            type Value = Sends;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a client id (`send: a`), or two for a simultaneous send (`send: [a, b]`)",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Sends, E> {
                Ok(Sends::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Sends, A::Error> {
                let mut ids = Vec::new();
                while let Some(id) = seq.next_element::<String>()? {
                    ids.push(id);
                }
                Ok(Sends::Together(ids))
            }
        }
        d.deserialize_any(SendsVisitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitSpec {
    pub process: String,
    pub contains: Option<String>,
    pub regex: Option<String>,
    pub timeout_ms: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectSpec {
    /// The exact acknowledgement both clients must receive.
    pub ack: Option<String>,
    /// Sends closer together than this are "simultaneous": the ack must then
    /// agree with the server's own observed order instead of the send order.
    pub order_margin_ms: Option<f64>,
    #[serde(default)]
    pub lines: Vec<LineSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineSpec {
    pub process: String,
    pub contains: Option<String>,
    pub regex: Option<String>,
    pub absent: Option<String>,
}
