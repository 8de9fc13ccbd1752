import Foundation
import SqueezeEncode
import SqueezeModel
import SqueezeReader

/// The `NETW` section: `u8 compression (0 none, 1 zstd), u32 size, bytes` of a
/// binary Caffe `NetParameter` (the schema in Sources/SqueezeReader/Caffe/caffe.proto).
enum NetworkSection {
    static func encode(_ network: Network) throws(ContainerError) -> [UInt8] {
        let definition: [UInt8]
        do { definition = [UInt8](try CaffeDefinition.binaryDefinition(for: network)) } catch { throw .invalidModel(error.description) }
        var w = ByteWriter()
        // Layer names and parameters repeat a lot; zstd shrinks the definition ~5x.
        let packed: [UInt8]
        do { packed = try Zstd.compress(definition, level: 19) } catch { throw .invalidModel("network definition: \(error)") }
        if packed.count < definition.count {
            w.u8(1)
            w.u32(UInt32(definition.count))
            w.append(packed)
        } else {
            w.u8(0)
            w.u32(UInt32(definition.count))
            w.append(definition)
        }
        return w.bytes
    }

    static func decode(_ reader: inout ByteReader) throws(ContainerError) -> Network {
        let compression = try reader.u8("definition compression")
        let size = Int(try reader.u32("definition size"))
        let body = Array(try reader.slice(reader.remaining, "definition"))
        let definition: [UInt8]
        switch compression {
        case 0:
            guard body.count == size else { throw reader.failure("definition of \(body.count) bytes, header says \(size)") }
            definition = body
        case 1:
            guard size <= 1 << 26 else { throw reader.failure("definition of \(size) bytes is absurd") }
            do { definition = try Zstd.decompress(body, expectedSize: size) } catch { throw reader.failure("definition: \(error)") }
        default:
            throw reader.failure("unknown definition compression \(compression)")
        }
        do {
            // The reader's errors then read "file: section 1 of N (NETW): the network definition: ...".
            return try CaffeDefinition.network(binaryDefinition: Data(definition), source: "the network definition")
        } catch {
            throw reader.failure(error.description)
        }
    }
}
