/// Element-wise sum, product, maximum or minimum of several planes of the
/// same size in any layouts, written through `writePlane` (border zeroed,
/// `activation` applied); `broadcast[k]` marks an operand that is one value
/// per plane (a `[N, C, 1, 1]` gate) rather than a plane.
public func combinePlanes(_ operands: [(pointer: UnsafePointer<Float>, layout: PlaneLayout, broadcast: Bool)],
                          operation: UInt8, activation: Activation, output: UnsafeMutablePointer<Float>,
                          outputLayout: PlaneLayout, scratch: UnsafeMutablePointer<Float>) {
    let width = outputLayout.width
    writePlane(outputLayout, output: output, bias: 0, activation: activation) { y in
        for (k, o) in operands.enumerated() {
            if o.broadcast {
                let v = o.pointer[o.layout.origin]
                if k == 0 {
                    scratch.update(repeating: v, count: width)
                } else {
                    for x in 0..<width { scratch[x] = combine(scratch[x], v, operation) }
                }
                continue
            }
            let row = o.pointer + o.layout.origin + y * o.layout.rowStride
            if k == 0 {
                scratch.update(from: row, count: width)
                continue
            }
            var x = 0
            while x + 8 <= width {
                let a = UnsafeRawPointer(scratch + x).loadUnaligned(as: SIMD8<Float>.self)
                let b = UnsafeRawPointer(row + x).loadUnaligned(as: SIMD8<Float>.self)
                let r: SIMD8<Float> = switch operation {
                case 0: a + b
                case 1: a * b
                case 2: a.replacing(with: b, where: b .> a)
                default: a.replacing(with: b, where: b .< a)
                }
                UnsafeMutableRawPointer(scratch + x).storeBytes(of: r, as: SIMD8<Float>.self)
                x += 8
            }
            while x < width {
                scratch[x] = combine(scratch[x], row[x], operation)
                x += 1
            }
        }
        return UnsafePointer(scratch)
    }
}

@inline(__always)
private func combine(_ a: Float, _ b: Float, _ operation: UInt8) -> Float {
    switch operation {
    case 0: a + b
    case 1: a * b
    case 2: max(a, b)
    default: min(a, b)
    }
}
