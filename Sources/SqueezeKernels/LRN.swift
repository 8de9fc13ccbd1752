import RealModule

/// Local response normalisation across channels, Caffe semantics:
/// `y = x * (k + alpha/n * sum of x^2 over n adjacent channels)^-beta`,
/// for one image of `channels x planeSize` values.
public func lrnAcrossChannels(channels: Int, planeSize: Int, size: Int, alpha: Float, beta: Float, k: Float,
                              input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let pre = (size - 1) / 2
    let scale = alpha / Float(size)
    let sums = UnsafeMutablePointer<Float>.allocate(capacity: planeSize)
    defer { sums.deallocate() }
    sums.update(repeating: 0, count: planeSize)
    // Running window sum of squares: add channel c+pre, drop channel c-pre-1.
    for c in 0..<min(pre, channels) {
        let x = input + c * planeSize
        for i in 0..<planeSize { sums[i] += x[i] * x[i] }
    }
    for c in 0..<channels {
        let head = c + pre
        if head < channels {
            let x = input + head * planeSize
            for i in 0..<planeSize { sums[i] += x[i] * x[i] }
        }
        let tail = c - pre - 1
        if tail >= 0 {
            let x = input + tail * planeSize
            for i in 0..<planeSize { sums[i] -= x[i] * x[i] }
        }
        let x = input + c * planeSize, y = output + c * planeSize
        for i in 0..<planeSize { y[i] = x[i] * Float.pow(k + scale * sums[i], -beta) }
    }
}

/// Local response normalisation within each channel, Caffe semantics:
/// `y = x * (1 + alpha/n^2 * sum of x^2 over an n x n window)^-beta`, zero-padded.
public func lrnWithinChannel(planes: Int, height: Int, width: Int, size: Int, alpha: Float, beta: Float,
                             input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let pad = (size - 1) / 2
    let scale = alpha / Float(size * size)
    for p in 0..<planes {
        let x = input + p * height * width, yOut = output + p * height * width
        for y in 0..<height {
            for xx in 0..<width {
                var sum: Float = 0
                for wy in max(0, y - pad)..<min(height, y - pad + size) {
                    for wx in max(0, xx - pad)..<min(width, xx - pad + size) {
                        let v = x[wy * width + wx]
                        sum += v * v
                    }
                }
                let i = y * width + xx
                yOut[i] = x[i] * Float.pow(1 + scale * sum, -beta)
            }
        }
    }
}
