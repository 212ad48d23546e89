//! Random inputs built from the characters that matter to the parser: the reader may refuse
//! them, but must not panic, and what it accepts must be consistent.

use super::support::*;

/// A small xorshift generator, so the test needs no extra dependency and is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&str] = &[
    ",",
    ";",
    "\t",
    "|",
    " ",
    "  ",
    "\"",
    "\"\"",
    "\n",
    "\r\n",
    "\n\n",
    "#",
    "# k: v\n",
    "key: value\n",
    "a",
    "Temp [K]",
    "x (cm-1)",
    "1",
    "-2",
    "3.5",
    "1e3",
    "NaN",
    "-1.#IND",
    "NA",
    "true",
    "no",
    "2024-01-02",
    "2024-01-02T03:04:05Z",
    "é",
    "温",
    "\u{feff}",
    "[S]\n",
    "=",
];

#[test]
fn random_inputs_never_panic() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut accepted = 0;
    for _ in 0..400 {
        let mut text = String::new();
        for _ in 0..rng.below(120) {
            text.push_str(PIECES[rng.below(PIECES.len())]);
        }
        let _ = crate::csv::sniff(text.as_bytes());
        if let Ok(r) = read_bytes_with(text.as_bytes(), 1 + rng.below(4)) {
            accepted += 1;
            assert_eq!(r.table.columns.len(), r.batch.num_columns());
            let rows = r.report.parameters["rows"].as_u64().unwrap();
            assert_eq!(rows as usize, r.batch.num_rows());
        }
    }
    assert!(accepted > 20, "only {accepted} random inputs were read");
}
