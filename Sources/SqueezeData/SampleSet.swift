import SqueezeModel

/// A labelled set of fixed-size samples that training and evaluation read by index.
///
/// Loading is by index so that a trainer can shuffle, split a minibatch across
/// threads, and draw augmentation from its own seeded generator.
public protocol SampleSet: Sendable {
    /// The number of samples.
    var count: Int { get }
    /// The shape of one sample, `[channels, height, width]`.
    var sampleShape: [Int] { get }
    /// The number of classes labels are drawn from.
    var classCount: Int { get }
    /// The label of sample `index`.
    func label(at index: Int) -> Int
    /// Writes sample `index` into `output`, which holds exactly the product of
    /// `sampleShape` floats. With a generator the sample is augmented (random crop,
    /// mirror) where the set supports it; without, it is the deterministic
    /// evaluation-time form.
    func load(_ index: Int, random: inout SeededGenerator?, into output: UnsafeMutableBufferPointer<Float>) throws(DataError)
}

extension SampleSet {
    /// The number of floats one sample occupies.
    public var sampleCount: Int { sampleShape.reduce(1, *) }

    /// Loads sample `index` without augmentation into a new array.
    public func load(_ index: Int) throws(DataError) -> [Float] {
        var buffer = [Float](repeating: 0, count: sampleCount)
        var none: SeededGenerator? = nil
        try buffer.withUnsafeMutableBufferPointer { (b) throws(DataError) in try load(index, random: &none, into: b) }
        return buffer
    }
}

/// A sample set restricted to some of its indices (a train/test split).
public struct SampleSubset<Base: SampleSet>: SampleSet {
    /// The full set.
    public let base: Base
    /// The indices of `base` this subset holds, in order.
    public let indices: [Int]

    /// The samples of `base` at `indices`.
    public init(_ base: Base, indices: [Int]) {
        self.base = base
        self.indices = indices
    }

    public var count: Int { indices.count }
    public var sampleShape: [Int] { base.sampleShape }
    public var classCount: Int { base.classCount }
    public func label(at index: Int) -> Int { base.label(at: indices[index]) }
    public func load(_ index: Int, random: inout SeededGenerator?, into output: UnsafeMutableBufferPointer<Float>) throws(DataError) {
        try base.load(indices[index], random: &random, into: output)
    }
}

extension SampleSet {
    /// Splits into a training part and a test part: every `k`-th sample (starting
    /// with sample `k - 1`) is held out for testing. Deterministic, and stratified
    /// for sets whose labels cycle or come in balanced blocks.
    public func split(holdingOutEvery k: Int) -> (train: SampleSubset<Self>, test: SampleSubset<Self>) {
        precondition(k >= 2, "hold out every k-th sample with k >= 2")
        var train: [Int] = [], test: [Int] = []
        for i in 0..<count { if i % k == k - 1 { test.append(i) } else { train.append(i) } }
        return (SampleSubset(self, indices: train), SampleSubset(self, indices: test))
    }
}

/// Any sample set behind one concrete type, so that sets chosen at run time
/// (a CSV or a folder, split or not) can be subset and passed around.
public struct AnySampleSet: SampleSet {
    /// The wrapped set.
    public let base: any SampleSet

    /// Wraps `base`.
    public init(_ base: any SampleSet) {
        if let already = base as? AnySampleSet { self = already } else { self.base = base }
    }

    public var count: Int { base.count }
    public var sampleShape: [Int] { base.sampleShape }
    public var classCount: Int { base.classCount }
    public func label(at index: Int) -> Int { base.label(at: index) }
    public func load(_ index: Int, random: inout SeededGenerator?, into output: UnsafeMutableBufferPointer<Float>) throws(DataError) {
        try base.load(index, random: &random, into: output)
    }
}
