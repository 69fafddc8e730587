//! Every breakpoint of every EPA table, both ends, against the tables as EPA published
//! them (typed independently into `fixtures/epa_breakpoints.csv`, with their sources): a
//! breakpoint moved by one unit anywhere, in one segment or in two neighbours, fails here.

use aqcast_forecast::aqi::epa::{compute, Averaging, Table};
use aqcast_forecast::aqi::Category;
use aqcast_forecast::pollutant::{Pollutant, Unit};

struct Row {
    table: Table,
    pollutant: Pollutant,
    averaging: Averaging,
    unit: Unit,
    c: [f64; 2],
    i: [u32; 2],
    text: String,
}

fn rows() -> Vec<Row> {
    let text = include_str!("fixtures/epa_breakpoints.csv");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    assert_eq!(
        lines.next(),
        Some("table,pollutant,averaging,unit,c_lo,c_hi,i_lo,i_hi")
    );
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Row {
                table: f[0].parse().unwrap(),
                pollutant: f[1].parse().unwrap(),
                averaging: f[2].parse().unwrap(),
                unit: f[3].parse().unwrap(),
                c: [f[4].parse().unwrap(), f[5].parse().unwrap()],
                i: [f[6].parse().unwrap(), f[7].parse().unwrap()],
                text: l.to_string(),
            }
        })
        .collect()
}

#[test]
fn every_breakpoint_of_every_table_gives_epas_index_at_both_ends() {
    let rows = rows();
    assert_eq!(rows.len(), 125, "every segment of the three tables");
    for r in &rows {
        for end in 0..2 {
            let got = compute(r.pollutant, r.c[end], r.unit, Some(r.averaging), r.table)
                .unwrap_or_else(|e| panic!("{}: {} gives {e}", r.text, r.c[end]));
            assert_eq!(got.aqi, r.i[end], "{}: at {}", r.text, r.c[end]);
            assert_eq!(got.category, Category::of(r.i[end]), "{}", r.text);
            assert!(!got.beyond_index, "{}", r.text);
        }
    }
}

#[test]
fn the_segments_of_each_table_meet_with_no_gap_and_no_overlap() {
    // Between two neighbouring rows, the first's top and the next's bottom are one unit
    // of the table's truncation apart, and the indices follow on.
    let rows = rows();
    for w in rows.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if (a.table, a.pollutant, a.averaging) != (b.table, b.pollutant, b.averaging) {
            continue;
        }
        assert_eq!(a.i[1] + 1, b.i[0], "{} / {}", a.text, b.text);
        let decimals = a
            .text
            .split(',')
            .nth(5)
            .unwrap()
            .split('.')
            .nth(1)
            .map_or(0, str::len);
        let step = 10f64.powi(-(decimals as i32));
        assert!(
            (b.c[0] - a.c[1] - step).abs() < step / 10.0,
            "{} / {}",
            a.text,
            b.text
        );
    }
}
