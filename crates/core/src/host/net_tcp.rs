//! `/proc/net/tcp` and `/proc/net/tcp6`: sockets per connection state.

/// TCP connection states in `/proc/net/tcp{,6}` order (state codes 1 to 11).
pub const TCP_STATES: [&str; 11] = [
    "established",
    "syn_sent",
    "syn_recv",
    "fin_wait1",
    "fin_wait2",
    "time_wait",
    "close",
    "close_wait",
    "last_ack",
    "listen",
    "closing",
];

/// Counts sockets per state in a `/proc/net/tcp` text (header line first).
pub fn count_states(text: &str, counts: &mut [u64; 11]) {
    for line in text.lines().skip(1) {
        if let Some(state) = line.split_whitespace().nth(3) {
            if let Ok(code) = u8::from_str_radix(state, 16) {
                if (1..=11).contains(&code) {
                    counts[code as usize - 1] += 1;
                }
            }
        }
    }
}

/// Sockets per state over IPv4 and IPv6; `None` when neither file can be read.
pub fn read_states() -> Option<[u64; 11]> {
    let mut counts = [0u64; 11];
    let mut any = false;
    for f in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Some(t) = super::read(f) {
            count_states(&t, &mut counts);
            any = true;
        }
    }
    any.then_some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_states_counted() {
        let mut c = [0u64; 11];
        count_states(
            "  sl local rem st\n 0: 0100007F:1F90 00000000:0000 0A x\n 1: a b 01 x\n 2: a b 01 x\n",
            &mut c,
        );
        assert_eq!(c[0], 2);
        assert_eq!(c[9], 1);
    }
}
