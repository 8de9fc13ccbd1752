internal import CCPUFeatures
import Foundation
import Synchronization

/// Persistent threads that split one job's items between them and the caller.
///
/// A batch-1 forward pass is ~40 short jobs of 0.05-2 ms, too short to pay for
/// waking threads through the OS each time: workers spin briefly between jobs
/// and only then sleep on a condition variable. Items are handed out one at a
/// time, so uneven (sparse) rows balance themselves, and the caller waits only
/// for items taken, never for a worker to show up: on a busy machine a worker
/// the OS has not scheduled costs its share of speed, not a stall.
///
/// The threads share a `Crew` with the pool, never the pool itself: the pool is
/// freed (and stops its threads) when its executor goes, whether or not a
/// thread has started yet.
final class WorkerPool: Sendable {
    /// Threads that run a job, the caller included.
    let threadCount: Int
    private let crew: Crew

    init(threads: Int) {
        threadCount = max(threads, 1)
        crew = Crew(threadCount: threadCount)
        for worker in 1..<threadCount {
            let crew = crew
            let thread = Thread { crew.work(as: worker) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit { crew.stop() }

    /// Runs `body(item, thread)` for every item in `0..<items`, spread over the
    /// threads (`thread` in `0..<threadCount` indexes per-thread scratch).
    func run(items: Int, _ body: (Int, Int) -> Void) { crew.run(items: items, body) }
}

/// What a pool's threads share: the current job and how far it has got.
private final class Crew: @unchecked Sendable {
    let threadCount: Int

    /// The job's generation (high 32 bits) and its next item (low 32 bits), in
    /// one word so that a worker can only take an item of the job it saw.
    private let ticket = Atomic<Int>(0)
    private let completedItems = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let condition = NSCondition()
    // Written by the caller before the ticket moves to a new generation
    // (release) and read by workers after they take an item of it (acquire).
    // A worker that reads `itemCount` of a newer job than it saw fails to take
    // an item anyway: the ticket's generation no longer matches.
    private let itemCount = Atomic<Int>(0)
    private var body: ((Int, Int) -> Void)?

    /// How long an idle worker spins before it sleeps: far longer than the gap
    /// between two layers (waking a sleeping thread costs 50-100 µs, as much as
    /// a small layer), short enough that an idle executor stops using a core.
    private static let spinNanoseconds: UInt64 = 5_000_000

    init(threadCount: Int) { self.threadCount = threadCount }

    /// Tells every worker to leave its loop (they may be asleep).
    func stop() {
        stopping.store(true, ordering: .releasing)
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    func run(items: Int, _ body: (Int, Int) -> Void) {
        if threadCount == 1 || items <= 1 {
            for i in 0..<items { body(i, 0) }
            return
        }
        precondition(items < 1 << 31, "too many items for one job")
        withoutActuallyEscaping(body) { escaping in
            self.body = escaping
            itemCount.store(items, ordering: .relaxed)
            completedItems.store(0, ordering: .relaxed)
            // 31 bits keep the word positive; a wrap is harmless (only "changed" matters).
            let generation = ((ticket.load(ordering: .relaxed) >> 32) &+ 1) & 0x7FFF_FFFF
            ticket.store(generation << 32, ordering: .releasing)
            condition.lock()
            condition.broadcast()
            condition.unlock()
            drain(generation: generation, thread: 0)
            // No PAUSE here: the caller picks up the worker's last item as
            // soon as it lands (PAUSE is ~64 cycles on Zen).
            while completedItems.load(ordering: .acquiring) < items {}
            self.body = nil
        }
    }

    /// Takes and runs items of job `generation` until none are left.
    private func drain(generation: Int, thread: Int) {
        var current = ticket.load(ordering: .acquiring)
        while current >> 32 == generation {
            let item = current & 0xFFFF_FFFF
            guard item < itemCount.load(ordering: .relaxed) else { return }
            let (exchanged, original) = ticket.compareExchange(expected: current, desired: current + 1,
                                                                ordering: .acquiringAndReleasing)
            guard exchanged else {
                current = original
                continue
            }
            body!(item, thread)
            completedItems.wrappingAdd(1, ordering: .releasing)
            current = ticket.load(ordering: .acquiring)
        }
    }

    func work(as worker: Int) {
        var seen = 0
        while true {
            var spins = 0
            var spinStart: UInt64 = 0
            while ticket.load(ordering: .acquiring) >> 32 == seen, !stopping.load(ordering: .relaxed) {
                spins += 1
                squeeze_cpu_pause()
                // The clock is read once per 1024 spins.
                if spins & 1023 != 0 { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if spinStart == 0 { spinStart = now }
                if now - spinStart < Self.spinNanoseconds { continue }
                condition.lock()
                while ticket.load(ordering: .acquiring) >> 32 == seen, !stopping.load(ordering: .relaxed) {
                    condition.wait()
                }
                condition.unlock()
            }
            if stopping.load(ordering: .acquiring) { return }
            seen = ticket.load(ordering: .acquiring) >> 32
            drain(generation: seen, thread: worker)
        }
    }
}
