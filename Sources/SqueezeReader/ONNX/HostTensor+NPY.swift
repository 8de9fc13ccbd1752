import Foundation
import SqueezeModel

extension HostTensor {
    /// The element types read from `.npy` files, by NumPy type string.
    public static let npyTypes = NPYHeader.DType.allCases.map(\.rawValue)

    /// Reads the NumPy `.npy` file at `url` (format 1.0, 2.0 or 3.0; C order;
    /// one of ``npyTypes``, converted to `Float`).
    public init(npyContentsOf url: URL, memoryLimit: MemoryLimit = .current) throws(ReaderError) {
        try self.init(npyBytes: FileBytes.read(url, maximumSize: Self.maximumFileSize), source: url.path,
                      memoryLimit: memoryLimit)
    }

    /// Decodes the bytes of a `.npy` file; `source` names it in errors.
    public init(npyBytes bytes: Data, source: String, memoryLimit: MemoryLimit = .current) throws(ReaderError) {
        self = try bytes.withUnsafeBytes { raw in
            Result { () throws(ReaderError) in try Self.decodeNPY(raw, source: source, memoryLimit: memoryLimit) }
        }.get()
    }

    /// Decodes the bytes of a `.npy` file; `source` names it in errors.
    public init(npyBytes bytes: [UInt8], source: String, memoryLimit: MemoryLimit = .current) throws(ReaderError) {
        self = try bytes.withUnsafeBytes { raw in
            Result { () throws(ReaderError) in try Self.decodeNPY(raw, source: source, memoryLimit: memoryLimit) }
        }.get()
    }

    /// The tensor as a `.npy` file: format 1.0, `<f4`, C order, the header
    /// padded as NumPy pads it (the data starts at a multiple of 64 bytes), so
    /// the bytes are those `numpy.save` writes for the same float32 array.
    ///
    /// - Throws: ``ReaderError/invalidWeights(file:reason:)`` when ``shapeFailure`` is not nil.
    public func npyBytes() throws(ReaderError) -> [UInt8] {
        try checkedForWriting()
        let dimensions = shape.map(String.init)
        let tuple = shape.count == 1 ? "(\(dimensions[0]),)" : "(" + dimensions.joined(separator: ", ") + ")"
        var header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': \(tuple), }".utf8)
        // As numpy.lib.format._wrap_header: spaces, then a newline, up to a multiple of 64.
        let padding = 64 - (10 + header.count + 1) % 64
        header += repeatElement(UInt8(ascii: " "), count: padding)
        header.append(UInt8(ascii: "\n"))
        var bytes = NPYHeader.magic + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header
        bytes.reserveCapacity(bytes.count + values.count * 4)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// Parses, plans and converts a `.npy` file's bytes.
    static func decodeNPY(_ bytes: UnsafeRawBufferPointer, source: String,
                          memoryLimit: MemoryLimit) throws(ReaderError) -> HostTensor {
        guard bytes.count <= maximumFileSize else {
            throw .tooLarge(file: source, reason: "\(ByteCount.describe(bytes.count)) is more than a tensor file may hold")
        }
        let header: NPYHeader
        do { header = try NPYHeader(bytes) } catch { throw error.error(source: source) }
        let needed = Checked.saturatingMultiply(header.count, header.dtype.size)
        let available = bytes.count - header.dataOffset
        guard available == needed else {
            throw .invalidWeights(file: source, reason: "the .npy array of shape \(header.shape) and dtype "
                                      + "\(header.dtype.rawValue) takes \(ByteCount.grouped(needed)) bytes; "
                                      + "\(ByteCount.grouped(available)) follow the header")
        }
        var estimate = MemoryEstimate("reading the .npy array")
        estimate.add("values as floats", count: header.count, elementBytes: MemoryLayout<Float>.stride)
        do { try memoryLimit.check(estimate) } catch { throw .resource(file: source, error) }

        let data = UnsafeRawBufferPointer(rebasing: bytes[header.dataOffset...])
        func load<T: FixedWidthInteger>(_: T.Type, _ index: Int) -> T {
            T(littleEndian: data.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self))
        }
        let count = header.count
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                let value: Float = switch header.dtype {
                case .float32: Float(bitPattern: load(UInt32.self, i))
                case .float64: Float(Double(bitPattern: load(UInt64.self, i)))
                case .float16: ONNXTensor.float(fromHalf: load(UInt16.self, i))
                case .uint8: Float(data[i])
                case .int8: Float(Int8(bitPattern: data[i]))
                case .int32: Float(Int32(bitPattern: load(UInt32.self, i)))
                case .int64: Float(Int64(bitPattern: load(UInt64.self, i)))
                case .bool: data[i] != 0 ? 1 : 0
                }
                buffer.initializeElement(at: i, to: value)
            }
            initialized = count
        }
        return HostTensor(shape: header.shape, values: values)
    }
}
