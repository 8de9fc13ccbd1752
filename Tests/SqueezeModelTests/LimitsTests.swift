import PropertyBased
import SqueezeModel
import Testing

@Suite("Checked size arithmetic")
struct CheckedArithmeticTests {
    @Test func agreesWithWideArithmeticOrSaysOverflow() async {
        await propertyCheck(count: 300, input: Gen.int(in: Int.min...Int.max), Gen.int(in: Int.min...Int.max)) { a, b in
            let product = a.multipliedFullWidth(by: b)
            let fits = (product.high == 0 && product.low <= UInt(Int.max)) || (product.high == -1 && product.low > UInt(Int.max))
            #expect((Checked.multiply(a, b) != nil) == fits)
            if let p = Checked.multiply(a, b) { #expect(p == a &* b) }
            let sum = a.addingReportingOverflow(b)
            #expect(Checked.add(a, b) == (sum.overflow ? nil : sum.partialValue))
            #expect(Checked.saturatingAdd(a, b) == (sum.overflow ? (b > 0 ? .max : .min) : sum.partialValue))
        }
    }

    @Test func productsOfDimensions() {
        #expect(Checked.product([1, 3, 227, 227]) == 154_587)
        #expect(Checked.product([Int]()) == 1)
        #expect(Checked.product([1 << 32, 1 << 32]) == nil)
        #expect(Checked.saturatingProduct([Int.max, 2]) == .max)
        #expect(Checked.sum([Int.max, 1]) == nil)
    }
}

@Suite("Shape ceilings")
struct ShapeCeilingTests {
    @Test("an overflowing shape saturates and is refused, never traps",
          arguments: [[1, Int.max, Int.max], [1, 1 << 32, 1 << 32, 1 << 32], [Int.max]])
    func hugeShapes(dimensions: [Int]) {
        let shape = TensorShape(dimensions)
        #expect(shape.elementCount == (shape.checkedElementCount ?? .max))
        #expect(shape.limitFailure != nil)
    }

    @Test("within the ceilings", arguments: [[1, 3, 227, 227], [Int(Int32.max)], [1, 1, 46340, 46340]])
    func ordinaryShapes(dimensions: [Int]) {
        #expect(TensorShape(dimensions).limitFailure == nil)
    }

    @Test("rank, non-positive dimensions and element count are each named")
    func failuresNameTheirCause() {
        #expect(TensorShape([1, 1, 1, 1, 1, 1, 1, 1, 1]).limitFailure?.contains("9 dimensions") == true)
        #expect(TensorShape([1, 0, 3]).limitFailure?.contains("non-positive") == true)
        #expect(TensorShape([1, 1, 65536, 65536]).limitFailure?.contains("4,294,967,296 elements") == true)
    }

    static func network(input: [Int], _ layers: [Layer]) -> Network {
        Network(name: "n", inputs: [NetworkInput(name: "data", shape: TensorShape(input))], layers: layers)
    }

    @Test("shape inference refuses hostile parameters with a one-line error naming the layer")
    func inferenceRefusesHostileParameters() {
        let cases: [(Network, String)] = [
            (Self.network(input: [1, 1, 1 << 40, 1], []), "'data'"),
            (Self.network(input: [1, 1, 28, 28], [Layer(name: "c", kind: Convolution(
                outputChannels: 2, kernel: Spatial(Int(UInt32.max)), dilation: Spatial(Int(UInt32.max))),
                bottoms: ["data"], tops: ["c"])]), "layer 'c'"),
            (Self.network(input: [1, 4, 1, 1], [Layer(name: "ip", kind: InnerProduct(
                outputCount: Int(Int32.max)), bottoms: ["data"], tops: ["ip"])]), "layer 'ip'"),
            (Self.network(input: [1, Int(Int32.max) / 2 + 1, 1, 1], [Layer(name: "cat", kind: Concat(axis: 1),
                bottoms: ["data", "data", "data"], tops: ["cat"])]), "layer 'cat'"),
        ]
        for (network, culprit) in cases {
            #expect {
                _ = try network.inferShapes()
            } throws: { error in
                let text = (error as? ModelError)?.description ?? ""
                return text.contains(culprit) && !text.contains("\n")
            }
        }
        #expect(throws: ModelError.self) { _ = try Self.network(input: [1, 1, 4, 4], []).inferShapes(batchSize: 0) }
    }

    @Test("a stride longer than the input pools one window")
    func hugePoolingStride() throws {
        let pool = Layer(name: "p", kind: Pooling(method: .max, kernel: Spatial(2),
                                                                    stride: Spatial(Int(Int32.max))),
                         bottoms: ["data"], tops: ["p"])
        let shapes = try Self.network(input: [1, 3, 28, 28], [pool]).inferShapes()
        #expect(shapes.blobs["p"] == [1, 3, 1, 1])
    }
}

@Suite("Memory limits")
struct MemoryLimitTests {
    @Test("sizes parse with binary suffixes", arguments: [
        ("1000000", 1_000_000), ("4K", 4096), ("512M", 512 << 20), ("4G", 4 << 30), ("2gib", 2 << 30), ("1 T", 1 << 40),
    ])
    func parsing(text: String, bytes: Int) {
        #expect(ByteCount.parse(text) == bytes)
    }

    @Test("nonsense sizes are refused", arguments: ["", "0", "-1", "12Q", "G", "99999999999999999999", "9999999999T"])
    func badSizes(text: String) {
        #expect(ByteCount.parse(text) == nil)
    }

    @Test func describingSizes() {
        #expect(ByteCount.grouped(1_234_567) == "1,234,567")
        #expect(ByteCount.describe(1023) == "1,023 bytes")
        #expect(ByteCount.describe(80_000_000_000) == "80,000,000,000 bytes (74.5 GiB)")
    }

    @Test("an estimate past the limit is refused in one line naming its largest part")
    func refusal() {
        var estimate = MemoryEstimate("the compressed engine")
        estimate.add("compact weights", bytes: 930_346)
        estimate.add("activation arena at batch 1", count: 1_600_000_000, elementBytes: 4)
        #expect(throws: Never.self) { try MemoryLimit(bytes: 8 << 30).check(estimate) }
        #expect {
            try MemoryLimit(bytes: 1 << 30).check(estimate)
        } throws: { error in
            let text = "\(error)"
            return text.contains("activation arena at batch 1") && text.contains("6,400,930,346 bytes")
                && text.contains("1,073,741,824 bytes") && !text.contains("\n")
        }
    }

    @Test("totals saturate instead of overflowing")
    func saturation() {
        var estimate = MemoryEstimate("work")
        estimate.add("a", count: Int.max, elementBytes: 4)
        estimate.add("b", bytes: 1)
        #expect(estimate.total == .max)
        #expect(throws: ResourceError.self) { try MemoryLimit(bytes: Int.max - 1).check(estimate) }
    }

    @Test("the default is positive and at most the physical memory")
    func systemDefault() {
        let limit = MemoryLimit.systemDefault
        #expect(limit.bytes > 0)
        #expect(limit.bytes < Int.max)
    }

    @Test("a refused allocation is an error, not a trap")
    func refusedAllocation() {
        #expect(throws: ResourceError.self) {
            _ = try ZeroedMemory.allocate(Float.self, count: Int.max / 2, what: "an impossible buffer")
        }
        let buffer = try? ZeroedMemory.allocate(Float.self, count: 16, what: "a small buffer")
        #expect(buffer?.allSatisfy { $0 == 0 } == true)
        buffer.map(ZeroedMemory.release)
    }
}
