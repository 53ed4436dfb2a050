//! Every call the checker makes into code under test (a decoder call, an encoder call, a
//! mapping) goes through a [`Watch`]: its panic is caught and printed nowhere (the report shows
//! its message), and a call that does not return within the time budget ends the process with
//! a report naming the case, so a hung test becomes a failure with a reproduction instead of a
//! CI job that runs until it is killed.
//!
//! A call cannot be stopped from outside in safe Rust (a thread cannot be cancelled), so the
//! only way out of a hung call is the process's end: a watchdog thread, shared by every check
//! of the process, looks at each running check's call counter a few times a second; a counter
//! that shows a call in progress and has not moved for the budget means a hung call. It writes
//! the report to the standard error stream directly (not through the test harness's capture,
//! which would be lost with the process) and exits with status 101, a failed test's.
//!
//! The panic hook is the process's, replaced once by one that stays silent on the threads where
//! a watched call is running and defers to the previous hook everywhere else: a decoder that
//! panics on every case prints nothing, while the checker's own panics (`assert`, a fuzz
//! target's report) print as usual.

use std::cell::{Cell, OnceCell};
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, OnceLock, Weak};
use std::thread;
use std::time::{Duration, Instant};

/// The budget of one call unless the checker says otherwise.
pub(crate) const DEFAULT_BUDGET: Duration = Duration::from_secs(10);

/// Most characters of a case's messages the hang report shows.
const NOTE_CHARS: usize = 2000;

thread_local! {
    /// A watched call is running on this thread: its panics print nothing.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// What the hang report says about the case being checked.
#[derive(Default)]
pub(crate) struct Note {
    /// The messages (shown), or what they come from.
    pub(crate) messages: String,
    /// The plan, in words.
    pub(crate) plan: String,
    /// The case as a fuzz input, when it has one.
    pub(crate) input: Option<Vec<u8>>,
    /// The run in progress ("in one piece", "in chunks", ...).
    pub(crate) run: &'static str,
}

/// A thread's entry in the watchdog's list: calls on one thread run one at a time, so every
/// check on the thread shares it (a fuzz target builds a checker per input: registering each
/// would cost more than the check's bookkeeping).
struct Slot {
    /// Odd while a call runs; moves with every call.
    calls: AtomicU64,
    /// The current check's budget per call, in milliseconds.
    budget_ms: AtomicU64,
    note: Mutex<Note>,
}

thread_local! {
    static SLOT: OnceCell<Arc<Slot>> = const { OnceCell::new() };
}

/// The calls of one check: see the module documentation.
pub(crate) struct Watch {
    slot: Option<Arc<Slot>>,
}

impl Watch {
    /// A watch whose calls may take `budget` each (`None`: no limit, panics still quiet).
    pub(crate) fn new(budget: Option<Duration>) -> Watch {
        install_quiet_hook();
        let slot = budget.and_then(|budget| {
            let slot = SLOT
                .try_with(|cell| {
                    Arc::clone(cell.get_or_init(|| {
                        let slot = Arc::new(Slot {
                            calls: AtomicU64::new(0),
                            budget_ms: AtomicU64::new(0),
                            note: Mutex::new(Note::default()),
                        });
                        watchdog().register(&slot);
                        slot
                    }))
                })
                .ok()?;
            let ms = u64::try_from(budget.as_millis()).unwrap_or(u64::MAX).max(1);
            slot.budget_ms.store(ms, Ordering::Relaxed);
            Some(slot)
        });
        Watch { slot }
    }

    /// Whether a hang would be reported (and the case's note is worth keeping).
    pub(crate) fn is_timed(&self) -> bool {
        self.slot.is_some()
    }

    /// Says which case is being checked, for the hang report.
    pub(crate) fn note(&self, note: impl FnOnce() -> Note) {
        if let Some(slot) = &self.slot {
            let note = note();
            if let Ok(mut held) = slot.note.lock() {
                *held = note;
            }
        }
    }

    /// Says which run of the case is in progress.
    pub(crate) fn run(&self, run: &'static str) {
        if let Some(slot) = &self.slot {
            if let Ok(mut held) = slot.note.lock() {
                held.run = run;
            }
        }
    }

    /// Calls `f`, timed, its panic caught and quiet: `Err` with the panic's message.
    pub(crate) fn call<R>(&self, f: impl FnOnce() -> R) -> Result<R, String> {
        if let Some(slot) = &self.slot {
            slot.calls.fetch_add(1, Ordering::Relaxed);
        }
        let was_quiet = QUIET.with(|quiet| quiet.replace(true));
        let result = panic::catch_unwind(AssertUnwindSafe(f));
        QUIET.with(|quiet| quiet.set(was_quiet));
        if let Some(slot) = &self.slot {
            slot.calls.fetch_add(1, Ordering::Relaxed);
        }
        result.map_err(|payload| panic_message(payload.as_ref()))
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        // The thread's slot stays registered: no budget while no check runs.
        if let Some(slot) = &self.slot {
            slot.budget_ms.store(0, Ordering::Relaxed);
        }
    }
}

/// The message a panic was raised with.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".to_owned())
}

/// Replaces the panic hook, once per process, by one that is silent during watched calls.
fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            // `try_with`: a panic while the thread's locals are torn down still prints.
            if !QUIET.try_with(Cell::get).unwrap_or(false) {
                previous(info);
            }
        }));
    });
}

/// The process's watchdog: one thread, started with the first timed check.
struct Watchdog {
    slots: Mutex<Vec<Weak<Slot>>>,
}

fn watchdog() -> &'static Watchdog {
    static WATCHDOG: OnceLock<Watchdog> = OnceLock::new();
    WATCHDOG.get_or_init(|| {
        let spawned = thread::Builder::new()
            .name("lenframe-testkit-watchdog".to_owned())
            .spawn(|| watchdog().watch());
        if let Err(e) = spawned {
            // No watchdog: checks run unwatched, as they would with no budget.
            let _ = writeln!(
                std::io::stderr(),
                "lenframe::testkit: no watchdog thread ({e}): hung calls will not be reported"
            );
        }
        Watchdog {
            slots: Mutex::new(Vec::new()),
        }
    })
}

impl Watchdog {
    fn register(&self, slot: &Arc<Slot>) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.push(Arc::downgrade(slot));
        }
    }

    /// Looks at every check a few times a second, for ever.
    fn watch(&self) -> ! {
        // Per watched slot: the counter last seen, and since when.
        let mut seen: Vec<(Weak<Slot>, u64, Instant)> = Vec::new();
        loop {
            thread::sleep(Duration::from_millis(100));
            let now = Instant::now();
            let live: Vec<Arc<Slot>> = match self.slots.lock() {
                Ok(mut slots) => {
                    slots.retain(|slot| slot.strong_count() > 0);
                    slots.iter().filter_map(Weak::upgrade).collect()
                }
                Err(_) => continue,
            };
            seen.retain(|(slot, _, _)| slot.strong_count() > 0);
            for slot in live {
                let calls = slot.calls.load(Ordering::Relaxed);
                let entry = seen
                    .iter_mut()
                    .find(|(held, _, _)| std::ptr::eq(held.as_ptr(), Arc::as_ptr(&slot)));
                match entry {
                    Some((_, last, since)) if *last == calls => {
                        let budget = slot.budget_ms.load(Ordering::Relaxed);
                        let waited = now.duration_since(*since);
                        if calls % 2 == 1 && budget > 0 && waited >= Duration::from_millis(budget) {
                            report_hang(&slot, waited, budget);
                        }
                    }
                    Some((_, last, since)) => {
                        *last = calls;
                        *since = now;
                    }
                    None => seen.push((Arc::downgrade(&slot), calls, now)),
                }
            }
        }
    }
}

/// Writes the hang report and ends the process.
fn report_hang(slot: &Slot, waited: Duration, budget_ms: u64) -> ! {
    let note = slot.note.lock().map_or_else(
        |_| "(the case could not be read)".to_owned(),
        |note| {
            let mut text = format!(
                "  run: {}\n  messages: {}\n  plan: {}",
                note.run, note.messages, note.plan
            );
            if let Some(input) = &note.input {
                text.push_str("\n  as a fuzz input (hex): ");
                for byte in input {
                    text.push_str(&format!("{byte:02x}"));
                }
            }
            text
        },
    );
    let _ = writeln!(
        std::io::stderr(),
        "lenframe::testkit: a call into the code under test has not returned after {} ms (the \
         budget is {} ms): the process ends here.\n{note}",
        waited.as_millis(),
        budget_ms
    );
    std::process::exit(101)
}

/// `shown`, cut to [`NOTE_CHARS`] characters.
pub(crate) fn noted(shown: String) -> String {
    match shown.char_indices().nth(NOTE_CHARS) {
        None => shown,
        Some((at, _)) => format!("{}...", &shown[..at]),
    }
}
