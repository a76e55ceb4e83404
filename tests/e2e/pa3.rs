//! Server and client end to end on loopback.
