//! A loaded plan stays small (issue 16: a 20,000-case suite runs in under 64 MB): the heap a
//! case holds once loaded, and the most the load holds at once, are bounded per case. The
//! suite is the one `bench/gen_scale.py` writes; a counting allocator measures the bytes
//! allocated on the test's thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use cts_conform::case::{self, Source};
use cts_conform::contract::Contract;

/// The system allocator, counting the bytes in use on each thread and the most in use
/// since a reset. Per thread: the other tests of this binary allocate at the same time,
/// and the load under measurement runs on the test's own thread.
struct Counting;

thread_local! {
    static IN_USE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// Adds `delta` to this thread's count (nothing once the thread's locals are gone).
fn count(delta: isize) {
    let _ = IN_USE.try_with(|in_use| {
        let now = in_use.get() + delta;
        in_use.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `bench/gen_scale.py`'s suite of `n` cases.
fn scale_suite(n: usize) -> Source {
    let cases: Vec<String> = (0..n)
        .map(|i| {
            let name = format!("${{prefix}}-s{i:05}");
            format!(
                r#"{{"name": "case_{i:05}", "doc": "bench: scale", "steps": [
                  {{"operation": "CreateTracker",
                    "body": {{"tracker_type": "data", "tracker_name": "{name}",
                              "data_bucket": {{"data_bucket_name": "${{data_bucket}}"}}}},
                    "expect": {{"status": 201, "body": {{"tracker_name": "{name}", "status": "enabled"}}}}}},
                  {{"operation": "ListTrackers", "query": {{"tracker_name": "{name}"}},
                    "expect": {{"status": 200, "body": {{"trackers": [{{"tracker_name": "{name}"}}]}}}}}}]}}"#
            )
        })
        .collect();
    Source {
        name: "scale.json".into(),
        text: format!(r#"{{"suite": "scale", "cases": [{}]}}"#, cases.join(",")),
    }
}

#[test]
fn a_loaded_case_holds_a_few_hundred_bytes_not_kilobytes() {
    const CASES: usize = 2_000;
    let contract = Contract::embedded();
    let sources = [scale_suite(CASES)];
    let before = IN_USE.with(Cell::get);
    PEAK.with(|peak| peak.set(before));
    let cases =
        case::load(&sources, contract, &cts_conform::cts::CASE_RULES).expect("the suite loads");
    let held = (IN_USE.with(Cell::get) - before) as usize / CASES;
    let peak = (PEAK.with(Cell::get) - before) as usize / CASES;
    assert_eq!(cases.len(), CASES);
    // Each case is checked and compiled as before: its variables found, its creates inferred.
    assert!(cases[0].variables().contains("data_bucket"));
    assert!(cases[0].spec.steps[0].creates.is_some());
    // Before the plan was made compact a case held about 9,000 bytes, and the load peaked
    // at about 9,300 a case; now about 1,500 and 1,600.
    assert!(held < 2_000, "a loaded case holds {held} bytes");
    assert!(peak < 2_200, "the load peaked at {peak} bytes a case");
}
