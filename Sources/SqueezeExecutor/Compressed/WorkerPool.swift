internal import CCPUFeatures
import Foundation
import Synchronization

/// Persistent threads that split one job's items between them and the caller.
///
/// A batch-1 forward pass is ~40 short jobs of 0.05-2 ms, too short to pay for
/// waking threads through the OS each time: workers spin briefly between jobs
/// and only then sleep on a condition variable. Thread t owns items t,
/// t + threads, ... and takes them one at a time from the front; a thread
/// done with its own takes other threads' from the back, so uneven (sparse)
/// rows balance themselves. Item i thus runs on the same core pass after pass
/// unless taken: the activations it writes stay in that core's cache (owned
/// items were ~1 % faster than one shared counter at two threads, quiet or in
/// the machine's slow spells). The caller waits only for items taken, never
/// for a worker to show up: on a busy machine a worker the OS has not
/// scheduled costs its share of speed, not a stall.
///
/// The threads share a `Crew` with the pool, never the pool itself: the pool is
/// freed (and stops its threads) when its executor goes, whether or not a
/// thread has started yet.
final class WorkerPool: Sendable {
    /// Each worker's stack: the kernels keep their scratch on the heap.
    static let stackSize = 1 << 20

    /// Threads that run a job, the caller included.
    let threadCount: Int
    private let crew: Crew

    init(threads: Int) {
        threadCount = max(threads, 1)
        crew = Crew(threadCount: threadCount)
        for worker in 1..<threadCount {
            let crew = crew
            let thread = Thread { crew.work(as: worker) }
            thread.stackSize = Self.stackSize
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

    /// The job's generation (high 32 bits): a new job for the workers.
    private let ticket = Atomic<Int>(0)
    private let completedItems = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let condition = NSCondition()
    private var body: ((Int, Int) -> Void)?
    /// Per thread: its own items as one word, so that a thread can only take
    /// an item of the job it saw: the job's generation (its low 21 bits, at
    /// bit 42), the next to take from the front (21 bits, at bit 21) and the
    /// end a thief takes from (21 bits). Written by the caller before the
    /// ticket moves to a new generation (release), read by workers after they
    /// see it (acquire).
    private let lists: [ItemList]
    private static let countBits = 21, countMask = (1 << 21) - 1

    final class ItemList {
        let word = Atomic<Int>(0)
        // 112 bytes more: each list's word on a cache line of its own.
        private let padding = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    /// How long an idle worker spins before it sleeps: far longer than the gap
    /// between two layers (waking a sleeping thread costs 50-100 µs, as much as
    /// a small layer), short enough that an idle executor stops using a core.
    private static let spinNanoseconds: UInt64 = 5_000_000

    init(threadCount: Int) {
        self.threadCount = threadCount
        lists = (0..<threadCount).map { _ in ItemList() }
    }

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
        precondition(items <= threadCount * Self.countMask, "too many items for one job")
        withoutActuallyEscaping(body) { escaping in
            self.body = escaping
            completedItems.store(0, ordering: .relaxed)
            // 31 bits keep the word positive; a wrap is harmless (only "changed" matters).
            let generation = ((ticket.load(ordering: .relaxed) >> 32) &+ 1) & 0x7FFF_FFFF
            for t in 0..<threadCount {
                let count = (items - t + threadCount - 1) / threadCount
                lists[t].word.store((generation & Self.countMask) << (2 * Self.countBits) | max(count, 0),
                                    ordering: .relaxed)
            }
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
        let job = generation & Self.countMask
        for k in 0..<threadCount {
            let owner = (thread + k) % threadCount
            let list = lists[owner]
            var current = list.word.load(ordering: .acquiring)
            while current >> (2 * Self.countBits) == job {
                let front = (current >> Self.countBits) & Self.countMask, back = current & Self.countMask
                guard front < back else { break }
                // The owner takes from the front, a thief from the back.
                let taken = k == 0 ? front : back - 1
                let (exchanged, original) = list.word.compareExchange(
                    expected: current, desired: k == 0 ? current + (1 << Self.countBits) : current - 1,
                    ordering: .acquiringAndReleasing)
                guard exchanged else {
                    current = original
                    continue
                }
                body!(owner + taken * threadCount, thread)
                completedItems.wrappingAdd(1, ordering: .releasing)
                current = list.word.load(ordering: .acquiring)
            }
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
