/// Walks the positions of a tensor of extents `counts` in row-major order and
/// gives, for each, its flat index and the offset `origin + sum(index[k] *
/// strides[k])` into another tensor: a transpose's, a slice's or a
/// broadcast operand's read pattern.
struct StridedWalk: Sendable {
    /// Extents of the walked tensor.
    let counts: [Int]
    /// The other tensor's step per axis.
    let strides: [Int]
    /// The other tensor's offset of position zero.
    let origin: Int

    /// Calls `body(flat, offset)` for every position.
    @inline(__always)
    func forEach(_ body: (_ flat: Int, _ offset: Int) -> Void) {
        let size = counts.reduce(1, *)
        var index = [Int](repeating: 0, count: counts.count)
        var offset = origin
        for flat in 0..<size {
            body(flat, offset)
            var axis = counts.count - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < counts[axis] { break }
                offset -= strides[axis] * counts[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
