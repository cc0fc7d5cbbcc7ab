//! Recommendations of a `database_performance` report: the contract's rules of api-spec
//! §4.4 on each sub-test, plus failed transactions, clients waiting on the pool, a cache
//! smaller than the working set and branch-row contention. Every limit is in
//! [`crate::bench::rules`]; every message names the figure it rests on.

use crate::bench::rules::{self, Recommendation, Rule};
use crate::bench::Outcome;

use super::report::{DatabaseReport, RateCell, SubTest};

fn avg(s: &SubTest) -> f64 {
    s.latency.as_ref().map_or(0.0, |l| l.avg)
}

fn over_avg(s: &mut SubTest, rule: Rule, what: &str, advice: &str) {
    let a = avg(s);
    if a > rule.limit {
        s.recommendations.push(rule.recommend(format!(
            "{what} average latency is {a:.1} ms (over {} ms){advice}",
            rule.limit
        )));
    }
}

fn cell(script: &str, clients: &str, c: &RateCell, scale: f64) -> Vec<Recommendation> {
    let mut out = Vec::new();
    let total = c.transactions + c.failed;
    if total > 0 {
        let pct = c.failed as f64 * 100.0 / total as f64;
        if pct > rules::DB_MAX_FAILED_PERCENT.limit {
            out.push(rules::DB_MAX_FAILED_PERCENT.recommend(format!(
                "{script} {clients}: {pct:.1} % of transactions failed ({} of {total})",
                c.failed
            )));
        }
    }
    let n: f64 = clients
        .trim_start_matches("clients_")
        .parse()
        .unwrap_or(0.0);
    if script == "tpcb_like" && n > scale.ceil().max(1.0) {
        out.push(rules::DB_SCALE_BELOW_CLIENTS.recommend(format!(
            "tpcb_like at {n} clients on scale {scale}: clients contend on {} branch row(s); pgbench advises scale >= clients",
            scale.ceil().max(1.0)
        )));
    }
    out
}

/// Adds every recommendation to `r`: each sub-test's own list, and all of them (with the
/// run-level ones) to `r.recommendations`.
pub fn apply(r: &mut DatabaseReport) {
    let mut all = Vec::new();
    if let Outcome::Done(q) = &mut r.query_performance {
        over_avg(
            &mut q.complex,
            rules::DB_COMPLEX_MAX_AVG_MS,
            "Complex query",
            ": add an index on users.created_at or narrow the join",
        );
        for (name, s) in [
            ("simple", &mut q.simple),
            ("complex", &mut q.complex),
            ("aggregate", &mut q.aggregate),
        ] {
            let ops = s.throughput.operations_per_second;
            if ops < rules::DB_QUERY_MIN_OPS.limit {
                s.recommendations
                    .push(rules::DB_QUERY_MIN_OPS.recommend(format!(
                        "{name} query throughput is {ops:.0} ops/s (under {} ops/s)",
                        rules::DB_QUERY_MIN_OPS.limit
                    )));
            }
            all.extend(s.recommendations.iter().cloned());
        }
    }
    if let Outcome::Done(i) = &mut r.insert_performance {
        let a = i.latency.as_ref().map_or(0.0, |l| l.avg);
        if a > rules::DB_INSERT_MAX_AVG_MS.limit {
            i.recommendations.push(rules::DB_INSERT_MAX_AVG_MS.recommend(format!(
                "Insert average latency is {a:.1} ms (over {} ms): batch inserts or relax commit durability",
                rules::DB_INSERT_MAX_AVG_MS.limit
            )));
        }
        let ops = i.throughput.operations_per_second;
        if ops < rules::DB_INSERT_MIN_OPS.limit {
            i.recommendations.push(rules::DB_INSERT_MIN_OPS.recommend(format!(
                "Insert throughput is {ops:.0} ops/s (under {} ops/s): each commit waits for a flush (fsync-bound); batch rows per transaction",
                rules::DB_INSERT_MIN_OPS.limit
            )));
        }
        all.extend(i.recommendations.iter().cloned());
    }
    for (o, rule, what) in [
        (
            &mut r.update_performance,
            rules::DB_UPDATE_MAX_AVG_MS,
            "Update",
        ),
        (
            &mut r.delete_performance,
            rules::DB_DELETE_MAX_AVG_MS,
            "Delete",
        ),
        (
            &mut r.transaction_performance,
            rules::DB_TX_MAX_AVG_MS,
            "Transaction",
        ),
    ] {
        if let Outcome::Done(s) = o {
            over_avg(s, rule, what, "");
            all.extend(s.recommendations.iter().cloned());
        }
    }
    if let Outcome::Done(c) = &mut r.concurrent_load {
        let done: Vec<(&str, f64)> = c
            .results
            .0
            .iter()
            .filter_map(|(k, o)| match o {
                Outcome::Done(l) => Some((k.as_str(), l.operations_per_second)),
                Outcome::Not(_) => None,
            })
            .collect();
        let share = rules::DB_CONCURRENCY_MIN_SHARE.limit;
        if let Some(w) = done.windows(2).find(|w| w[1].1 < w[0].1 * share) {
            c.recommendations
                .push(rules::DB_CONCURRENCY_MIN_SHARE.recommend(format!(
                    "Throughput falls from {:.0} ops/s at {} to {:.0} ops/s at {} (under {} %)",
                    w[0].1,
                    w[0].0,
                    w[1].1,
                    w[1].0,
                    share * 100.0
                )));
        }
        all.extend(c.recommendations.iter().cloned());
    }
    for (script, cells) in &r.transaction_rates.0 {
        for (clients, o) in &cells.0 {
            if let Outcome::Done(c) = o {
                all.extend(cell(script, clients, c, r.conditions.scale));
            }
        }
    }
    for (size, cells) in &r.pool_efficiency.0 {
        for (clients, o) in &cells.0 {
            let Outcome::Done(c) = o else { continue };
            if let (Some(wait), Some(lat)) = (&c.acquire_wait, &c.latency) {
                if wait.avg > lat.avg * rules::DB_POOL_WAIT_SHARE.limit {
                    all.push(rules::DB_POOL_WAIT_SHARE.recommend(format!(
                        "{size} with {clients}: the average acquire wait is {:.3} ms of a {:.3} ms transaction; enlarge the pool or lower the client count",
                        wait.avg, lat.avg
                    )));
                }
            }
        }
    }
    if let Some(ratio) = r.cache_hit_ratio {
        let min = rules::DB_CACHE_MIN_HIT_RATIO.limit;
        if ratio < min {
            all.push(rules::DB_CACHE_MIN_HIT_RATIO.recommend(format!(
                "Cache hit ratio over the measured window is {:.1} % (under {} %): the cache is smaller than the working set",
                ratio * 100.0,
                min * 100.0
            )));
        }
    }
    r.recommendations = all;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::database::report::Throughput;

    fn rate(transactions: u64, failed: u64) -> RateCell {
        RateCell {
            tps: 0.0,
            tps_including_connections: 0.0,
            latency: None,
            transactions,
            failed,
            duration_ms: 1000.0,
            connect_ms: 0.0,
            reconnects: 0,
            cache_hit_ratio: None,
        }
    }

    #[test]
    fn rules_fire_past_their_limits_and_name_the_figure() {
        let r = cell("tpcb_like", "clients_10", &rate(95, 5), 1.0);
        assert_eq!(r.len(), 2, "{r:?}");
        assert_eq!(
            r[0].message,
            "tpcb_like clients_10: 5.0 % of transactions failed (5 of 100)"
        );
        assert_eq!((r[0].kind, r[0].severity), ("reliability", "high"));
        assert!(
            r[1].message
                .starts_with("tpcb_like at 10 clients on scale 1:"),
            "{}",
            r[1].message
        );
        // At the limit nothing fires: 1 failed of 100 is 1 %, not over it; 10 clients on scale 10.
        assert!(cell("tpcb_like", "clients_10", &rate(99, 1), 10.0).is_empty());
        assert!(cell("select_only", "clients_10", &rate(100, 0), 0.1).is_empty());

        let mut s = SubTest {
            latency: crate::bench::latency::LatencyRecorder::new().summary(),
            throughput: Throughput {
                operations_per_second: 1.0,
                total_operations: 1,
                total_time: 1.0,
                avg_operation_time: 1.0,
                operations: Vec::new(),
                failed: 0,
            },
            recommendations: Vec::new(),
        };
        let mut rec = crate::bench::latency::LatencyRecorder::new();
        rec.record(std::time::Duration::from_millis(250));
        s.latency = rec.summary();
        over_avg(&mut s, rules::DB_TX_MAX_AVG_MS, "Transaction", "");
        assert_eq!(s.recommendations.len(), 1);
        assert!(
            s.recommendations[0]
                .message
                .starts_with("Transaction average latency is 250.0 ms (over 200 ms)"),
            "{}",
            s.recommendations[0].message
        );
        assert_eq!(
            (s.recommendations[0].kind, s.recommendations[0].severity),
            ("performance", "high")
        );
    }
}
