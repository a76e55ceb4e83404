//! Reads a packet capture (classic pcap, as `tcpdump -w` writes it) and
//! counts what a report wants to say about the PA3 traffic: packets, TCP
//! handshakes towards the server, segments that pushed data, and FINs.
//! Pure: bytes in, counts out; a damaged file yields what could be read.

use crate::orchestrator::record::CaptureStats;

const ETHERNET: u32 = 1;
const LINUX_SLL: u32 = 113;
const LINUX_SLL2: u32 = 276;

/// TCP flags.
const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

pub fn stats(bytes: &[u8], server_port: u16) -> CaptureStats {
    let mut s = CaptureStats::default();
    if bytes.len() < 24 {
        return s;
    }
    let magic = u32::from_le_bytes(bytes[0..4].try_into().unwrap());
    let little = match magic {
        0xa1b2c3d4 | 0xa1b23c4d => true,
        0xd4c3b2a1 | 0x4d3cb2a1 => false,
        _ => return s,
    };
    let u32_at = |b: &[u8], i: usize| -> u32 {
        let a: [u8; 4] = b[i..i + 4].try_into().unwrap();
        if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let link = u32_at(bytes, 20);
    let mut off = 24;
    while off + 16 <= bytes.len() {
        let incl = u32_at(bytes, off + 8) as usize;
        let start = off + 16;
        let end = start.saturating_add(incl);
        if end > bytes.len() {
            break;
        }
        s.packets += 1;
        if let Some((sport, dport, flags)) = tcp_of(link, &bytes[start..end]) {
            if flags & SYN != 0 && flags & ACK == 0 && dport == server_port {
                s.syns += 1;
            }
            if flags & PSH != 0 && (sport == server_port || dport == server_port) {
                s.pushes += 1;
            }
            if flags & FIN != 0 {
                s.fins += 1;
            }
        }
        off = end;
    }
    s
}

/// (source port, destination port, flags) of a TCP segment in a frame.
fn tcp_of(link: u32, frame: &[u8]) -> Option<(u16, u16, u8)> {
    let be16 = |b: &[u8], i: usize| -> Option<u16> {
        Some(u16::from_be_bytes(b.get(i..i + 2)?.try_into().ok()?))
    };
    let (ethertype, l3) = match link {
        ETHERNET => (be16(frame, 12)?, 14),
        LINUX_SLL => (be16(frame, 14)?, 16),
        LINUX_SLL2 => (be16(frame, 0)?, 20),
        _ => return None,
    };
    let ip = frame.get(l3..)?;
    let tcp = match ethertype {
        0x0800 => {
            let ihl = (ip.first()? & 0x0f) as usize * 4;
            if *ip.get(9)? != 6 {
                return None;
            }
            ip.get(ihl..)?
        }
        0x86dd => {
            if *ip.get(6)? != 6 {
                return None;
            }
            ip.get(40..)?
        }
        _ => return None,
    };
    Some((be16(tcp, 0)?, be16(tcp, 2)?, *tcp.get(13)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&0x0800u16.to_be_bytes());
        let mut ip = vec![
            0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
        ];
        let mut tcp = vec![0u8; 20];
        tcp[0..2].copy_from_slice(&sport.to_be_bytes());
        tcp[2..4].copy_from_slice(&dport.to_be_bytes());
        tcp[13] = flags;
        ip.extend(tcp);
        f.extend(ip);
        f
    }

    fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
        b.extend_from_slice(&[2, 0, 4, 0]);
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&65535u32.to_le_bytes());
        b.extend_from_slice(&ETHERNET.to_le_bytes());
        for f in frames {
            b.extend_from_slice(&[0; 8]);
            b.extend_from_slice(&(f.len() as u32).to_le_bytes());
            b.extend_from_slice(&(f.len() as u32).to_le_bytes());
            b.extend_from_slice(f);
        }
        b
    }

    #[test]
    fn counts_handshakes_pushes_and_fins() {
        let b = pcap(&[
            frame(40000, 12000, SYN),
            frame(12000, 40000, SYN | ACK),
            frame(40000, 12000, ACK),
            frame(12000, 40000, PSH | ACK),
            frame(40000, 12000, PSH | ACK),
            frame(12000, 40000, FIN | ACK),
        ]);
        let s = stats(&b, 12000);
        assert_eq!((s.packets, s.syns, s.pushes, s.fins), (6, 1, 2, 1));
    }

    #[test]
    fn garbage_and_truncation_do_not_panic() {
        assert_eq!(stats(b"nope", 12000).packets, 0);
        let mut b = pcap(&[frame(1, 12000, SYN)]);
        b.truncate(b.len() - 3);
        assert_eq!(stats(&b, 12000).packets, 0);
    }
}
