//! Fuzzes the streaming VFK reader and the MJ counter: no input may panic,
//! and counting must agree with the records the reader yields.
#![no_main]

use cuzk_vfk::{MjCounter, MjRowPolicy, Record, VfkReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut counter = MjCounter::new(MjRowPolicy::AllRows);
    let mut par_rows = 0u64;
    let mut reader = VfkReader::new(data).max_record_bytes(1 << 20);
    loop {
        match reader.next_record() {
            Ok(Some(record)) => {
                if let Record::Data(row) = &record {
                    assert_eq!(row.values.len(), row.block.columns.len());
                }
                let is_par = matches!(&record, Record::Data(r) if r.block.name == "PAR");
                if counter.add(&record).is_err() {
                    return;
                }
                if is_par {
                    par_rows += 1;
                }
            }
            Ok(None) => break,
            Err(_) => return,
        }
    }
    let summary = counter.finish();
    assert_eq!(summary.par_rows, par_rows);
    assert!(summary.mj() <= summary.par_rows + summary.tel_rows);
});
