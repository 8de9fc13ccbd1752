import Dispatch
import Foundation
import Synchronization

extension Array where Element: Sendable {
    /// `map` spread over the machine's cores: for independent, uneven pieces of
    /// work such as decoding or converting one layer each. Elements are taken
    /// largest `cost` first, so that the last one to start is a small one; the
    /// results are in the array's order.
    package func concurrentMap<T: Sendable>(cost: (Element) -> Int, _ transform: @Sendable (Element) -> T) -> [T] {
        let order = indices.sorted { cost(self[$0]) > cost(self[$1]) }
        let next = Atomic<Int>(0)
        var results = [T?](repeating: nil, count: count)
        results.withUnsafeMutableBufferPointer { slots in
            // Each slot is written by exactly one thread.
            nonisolated(unsafe) let slots = slots
            let threads = Swift.min(ProcessInfo.processInfo.activeProcessorCount, Swift.max(count, 1))
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                while true {
                    let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard k < order.count else { return }
                    slots[order[k]] = transform(self[order[k]])
                }
            }
        }
        return results.map { $0! }
    }
}
