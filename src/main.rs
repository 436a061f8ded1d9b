//! The `shardplan` binary: parse the command line, run, map errors to exit
//! statuses. Everything else lives in the library.

use std::io;
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use shardplan::app::{self, Streams};
use shardplan::cli::Cli;
use shardplan::error::ErrorKind;

fn main() -> ExitCode {
    map_large_allocations();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let args: Vec<String> = std::env::args().collect();
            let hint = (error.kind() == clap::error::ErrorKind::UnknownArgument)
                .then(|| shardplan::cli::expanded_glob_hint(&args, |p| Path::new(p).exists()))
                .flatten();
            let _ = error.print();
            if let Some(hint) = hint {
                eprintln!("\ntip: {hint}");
            }
            return ExitCode::from(error.exit_code() as u8);
        }
    };
    let stdin = io::stdin();
    let stdout = io::stdout();
    let stderr = io::stderr();
    let mut streams = Streams {
        stdin: &mut stdin.lock(),
        stdout: &mut stdout.lock(),
        stderr: &mut stderr.lock(),
    };
    match app::dispatch(&cli, &mut streams) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind == ErrorKind::Usage => {
            usage_command()
                .error(clap::error::ErrorKind::ValueValidation, error.message)
                .exit();
        }
        Err(error) => {
            eprintln!("shardplan: error: {error}");
            ExitCode::from(error.exit_code() as u8)
        }
    }
}

/// The command whose usage a usage error shows: the subcommand run
/// (`shardplan select …`), else the top-level command.
fn usage_command() -> clap::Command {
    let mut command = Cli::command();
    command.build();
    let name = command
        .clone()
        .try_get_matches()
        .ok()
        .and_then(|matches| matches.subcommand_name().map(str::to_string));
    match name.and_then(|name| command.find_subcommand(&name).cloned()) {
        Some(subcommand) => {
            let bin_name = format!("shardplan {}", subcommand.get_name());
            subcommand.bin_name(bin_name)
        }
        None => command,
    }
}

/// Keeps glibc's malloc mapping large blocks on their own. By default it
/// raises its mmap threshold each time a mapped block is freed (up to
/// 32 MB), so that the next large vectors come from its heap, whose pages
/// stay resident after they are freed. A million-test plan builds vectors
/// of 4 to 40 MB one phase after another, and that kept a few MB of freed
/// ones in its peak memory. The default's starting value, fixed, maps each
/// and gives it back when it is freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn map_large_allocations() {
    // SAFETY: `mallopt` sets one of malloc's parameters; it is called
    // before any other thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Other allocators give large blocks back as they are freed already.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn map_large_allocations() {}

/// Large blocks in huge pages ([`huge_pages::HugePages`]).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: huge_pages::HugePages = huge_pages::HugePages;

/// Asks Linux to back large blocks with transparent huge pages.
///
/// A million-test plan writes about 500 MB of fresh vectors and text over
/// its phases; in 4 KiB pages that was 116k page faults and a fifth of its
/// CPU time in the kernel. Where huge pages are on for memory that asks
/// (`enabled` = `madvise`, the usual default), blocks of 4 MiB and more
/// now ask: half the faults, 7-10% less CPU at a million tests. With huge
/// pages `never` the advice does nothing. Under the default `defrag`
/// (`madvise`), a fault in advised memory may compact memory first, with
/// `enabled` = `always` too: on a machine whose memory is fragmented those
/// faults can be slower instead. glibc builds only: the static musl
/// binaries the release and the GitHub Action ship use musl's malloc, and
/// go without.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod huge_pages {
    use std::alloc::{GlobalAlloc, Layout, System};

    /// Blocks this large are advised: a 100k-test plan allocates none
    /// (nor does it fault enough for huge pages to matter), and a block
    /// must span a whole huge page to get one.
    const THRESHOLD: usize = 4 << 20;
    const PAGE: usize = 4096;

    /// The system allocator, advising huge pages for blocks of at least
    /// [`THRESHOLD`] bytes.
    pub struct HugePages;

    /// Advises huge pages for the block at `ptr`. The advice covers every
    /// page the block touches, which for a block malloc mapped on its own
    /// is the whole mapping: advising part of it would split the mapping,
    /// and malloc could then no longer move it with `mremap` as it grows
    /// (which fails across mappings), and would copy it at every doubling
    /// instead. (A block malloc served from its heap shares pages with its
    /// neighbours, which then get the hint too; harmless.)
    fn advise(ptr: *mut u8) {
        // SAFETY: `ptr` is a live block malloc handed out.
        let usable = unsafe { libc::malloc_usable_size(ptr.cast()) };
        let start = ptr as usize / PAGE * PAGE;
        let end = (ptr as usize + usable).next_multiple_of(PAGE);
        // SAFETY: errno is this thread's; the pages are mapped (they hold
        // the block) and the advice is a hint that changes no contents.
        // Its failure (a kernel without huge pages) is harmless, and the
        // errno it sets is put back, as an allocation must not change it.
        unsafe {
            let errno = libc::__errno_location();
            let saved = *errno;
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            *errno = saved;
        }
    }

    // SAFETY: every call is the system allocator's, with the same
    // arguments; `advise` only adds a hint about the pages it returned.
    unsafe impl GlobalAlloc for HugePages {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let ptr = unsafe { System.alloc(layout) };
            if !ptr.is_null() && layout.size() >= THRESHOLD {
                advise(ptr);
            }
            ptr
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let ptr = unsafe { System.alloc_zeroed(layout) };
            if !ptr.is_null() && layout.size() >= THRESHOLD {
                advise(ptr);
            }
            ptr
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, old: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let ptr = unsafe { System.realloc(old, layout, new_size) };
            // A mapping advised before keeps the advice when it moves.
            let advised = layout.size() >= THRESHOLD && ptr == old;
            if !ptr.is_null() && new_size >= THRESHOLD && !advised {
                advise(ptr);
            }
            ptr
        }
    }
}
