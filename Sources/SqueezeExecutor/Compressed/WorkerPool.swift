import Foundation
import Synchronization

/// Persistent threads that split one job's items between them and the caller.
///
/// A batch-1 forward pass is ~40 short jobs of 0.05-2 ms, too short to pay for
/// waking threads through the OS each time: workers spin briefly between jobs
/// and only then sleep on a condition variable. Items are handed out one at a
/// time from an atomic counter, so uneven (sparse) rows balance themselves.
final class WorkerPool: @unchecked Sendable {
    /// Threads that run a job, the caller included.
    let threadCount: Int

    private let generation = Atomic<Int>(0)
    private let nextItem = Atomic<Int>(0)
    private let finishedWorkers = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let exitedWorkers = Atomic<Int>(0)
    private let condition = NSCondition()
    private var workers: [Thread] = []
    // Written by the caller before `generation` is bumped (release) and read by
    // workers after they see the new generation (acquire).
    private var itemCount = 0
    private var body: ((Int, Int) -> Void)?

    /// How long an idle worker spins before it sleeps: far longer than the gap
    /// between two layers (waking a sleeping thread costs 50-100 µs, as much as
    /// a small layer), short enough that an idle executor stops using a core.
    private static let spinNanoseconds: UInt64 = 5_000_000

    init(threads: Int) {
        threadCount = max(threads, 1)
        for worker in 1..<threadCount {
            let thread = Thread { [unowned self] in self.work(as: worker) }
            thread.stackSize = 1 << 20
            workers.append(thread)
            thread.start()
        }
    }

    deinit {
        stopping.store(true, ordering: .releasing)
        condition.lock()
        condition.broadcast()
        condition.unlock()
        // Workers hold `unowned self`: wait until every one has left its loop.
        while exitedWorkers.load(ordering: .acquiring) < threadCount - 1 { sched_yield() }
    }

    /// Runs `body(item, thread)` for every item in `0..<items`, spread over the
    /// threads (`thread` in `0..<threadCount` indexes per-thread scratch).
    func run(items: Int, _ body: (Int, Int) -> Void) {
        if threadCount == 1 || items <= 1 {
            for i in 0..<items { body(i, 0) }
            return
        }
        withoutActuallyEscaping(body) { escaping in
            self.body = escaping
            itemCount = items
            nextItem.store(0, ordering: .relaxed)
            finishedWorkers.store(0, ordering: .relaxed)
            generation.wrappingAdd(1, ordering: .releasing)
            condition.lock()
            condition.broadcast()
            condition.unlock()
            drain(thread: 0)
            while finishedWorkers.load(ordering: .acquiring) < threadCount - 1 {}
            self.body = nil
        }
    }

    private func drain(thread: Int) {
        guard let body else { return }
        while true {
            let i = nextItem.wrappingAdd(1, ordering: .relaxed).oldValue
            guard i < itemCount else { return }
            body(i, thread)
        }
    }

    private func work(as worker: Int) {
        var seen = 0
        while true {
            var spins = 0
            var spinStart: UInt64 = 0
            while generation.load(ordering: .acquiring) == seen, !stopping.load(ordering: .relaxed) {
                spins += 1
                // The clock is read once per 1024 spins.
                if spins & 1023 != 0 { continue }
                let now = DispatchTime.now().uptimeNanoseconds
                if spinStart == 0 { spinStart = now }
                if now - spinStart < Self.spinNanoseconds { continue }
                condition.lock()
                while generation.load(ordering: .acquiring) == seen, !stopping.load(ordering: .relaxed) { condition.wait() }
                condition.unlock()
            }
            if stopping.load(ordering: .acquiring) {
                exitedWorkers.wrappingAdd(1, ordering: .releasing)
                return
            }
            seen = generation.load(ordering: .acquiring)
            drain(thread: worker)
            finishedWorkers.wrappingAdd(1, ordering: .releasing)
        }
    }
}
