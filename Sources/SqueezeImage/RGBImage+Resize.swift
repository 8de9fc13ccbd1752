extension RGBImage {
    /// This image resized to `width` x `height`, identical to Pillow's
    /// `Image.resize((width, height), Image.BILINEAR)`: a separable, antialiased
    /// triangle filter in 8-bit fixed point, passes ordered as Pillow 13 orders them.
    ///
    /// - Precondition: `width` and `height` are positive.
    public func resized(width: Int, height: Int) -> RGBImage {
        let horizontal = ResampleAxis(inputSize: self.width, outputSize: width)
        let vertical = ResampleAxis(inputSize: self.height, outputSize: height)
        let count = width * height * 3
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            resample(horizontal: horizontal, vertical: vertical, columns: 0..<width, rows: 0..<height, into: buffer)
            initialized = count
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Writes the `columns` x `rows` window of the resize described by the two
    /// axes into `output` (interleaved RGB, `columns.count` pixels per row).
    ///
    /// Each output sample depends only on its own coefficients, so computing a
    /// window gives exactly the same bytes as resizing fully and then cropping;
    /// the horizontal pass runs only over the source rows the window needs.
    func resample(
        horizontal: ResampleAxis, vertical: ResampleAxis, columns: Range<Int>, rows: Range<Int>,
        into output: UnsafeMutableBufferPointer<UInt8>
    ) {
        precondition(horizontal.inputSize == width && vertical.inputSize == height, "axes do not match the image")
        precondition(columns.lowerBound >= 0 && columns.upperBound <= horizontal.outputSize, "columns outside the resize")
        precondition(rows.lowerBound >= 0 && rows.upperBound <= vertical.outputSize, "rows outside the resize")
        precondition(output.count == columns.count * rows.count * 3, "output buffer has the wrong size")
        guard !columns.isEmpty, !rows.isEmpty else { return }

        if Self.resamplesVerticallyFirst(
            inputWidth: width, inputHeight: height,
            outputWidth: horizontal.outputSize, outputHeight: vertical.outputSize)
        {
            // Pillow 13 runs the vertical pass first when the height shrinks much
            // more than the width; the 8-bit intermediate makes the order visible.
            let rowBytes = width * 3
            let intermediateCount = rows.count * rowBytes
            let intermediate = [UInt8](unsafeUninitializedCapacity: intermediateCount) { buffer, initialized in
                pixels.withUnsafeBufferPointer { source in
                    Self.verticalPass(source, rowBytes: rowBytes, firstRow: 0, axis: vertical, rows: rows, into: buffer)
                }
                initialized = intermediateCount
            }
            intermediate.withUnsafeBufferPointer { buffer in
                Self.horizontalPass(
                    buffer, sourceWidth: width, axis: horizontal, columns: columns, rows: 0..<rows.count, into: output)
            }
            return
        }
        let sourceRows = vertical.inputRange(for: rows)
        let rowBytes = columns.count * 3
        let intermediateCount = sourceRows.count * rowBytes
        let intermediate = [UInt8](unsafeUninitializedCapacity: intermediateCount) { buffer, initialized in
            pixels.withUnsafeBufferPointer { source in
                Self.horizontalPass(
                    source, sourceWidth: width, axis: horizontal, columns: columns, rows: sourceRows, into: buffer)
            }
            initialized = intermediateCount
        }
        intermediate.withUnsafeBufferPointer { buffer in
            Self.verticalPass(
                buffer, rowBytes: rowBytes, firstRow: sourceRows.lowerBound, axis: vertical, rows: rows,
                into: output)
        }
    }

    /// Pillow's pass order (since Pillow 13, python-pillow/Pillow#9549): vertical
    /// first when the height is reduced by more than twice what the width is.
    /// Checked against Pillow 13.0 on all 216 image sizes of the development set.
    static func resamplesVerticallyFirst(inputWidth: Int, inputHeight: Int, outputWidth: Int, outputHeight: Int) -> Bool {
        outputHeight < inputHeight && inputHeight - outputHeight > 2 * (inputWidth - outputWidth)
    }

    /// Pillow's `ImagingResampleHorizontal_8bpc` for 3 bands, restricted to
    /// output `columns` of source `rows`. Fills all of `output`.
    private static func horizontalPass(
        _ source: UnsafeBufferPointer<UInt8>, sourceWidth: Int, axis: ResampleAxis,
        columns: Range<Int>, rows: Range<Int>, into output: UnsafeMutableBufferPointer<UInt8>
    ) {
        precondition(rows.lowerBound >= 0 && rows.upperBound * sourceWidth * 3 <= source.count)
        precondition(output.count == rows.count * columns.count * 3)
        guard let sourceBase = source.baseAddress, var out = output.baseAddress else { return }
        let taps = axis.taps
        axis.first.withUnsafeBufferPointer { first in
            axis.count.withUnsafeBufferPointer { count in
                axis.weights.withUnsafeBufferPointer { weights in
                    guard let weightBase = weights.baseAddress else { return }
                    for y in rows {
                        let line = sourceBase + y * sourceWidth * 3
                        for x in columns {
                            // first + count <= sourceWidth by construction of the axis.
                            var p = line + first[x] * 3
                            let k = weightBase + x * taps
                            var r = ResampleAxis.rounding, g = r, b = r
                            for t in 0..<count[x] {
                                let w = k[t]
                                r &+= Int32(p[0]) &* w
                                g &+= Int32(p[1]) &* w
                                b &+= Int32(p[2]) &* w
                                p += 3
                            }
                            out[0] = ResampleAxis.clip(r)
                            out[1] = ResampleAxis.clip(g)
                            out[2] = ResampleAxis.clip(b)
                            out += 3
                        }
                    }
                }
            }
        }
    }

    /// Pillow's `ImagingResampleVertical_8bpc` over rows of `rowBytes` samples
    /// whose first row is source row `firstRow`. Integer sums are exact, so
    /// accumulating a whole row per tap (vectorisable) equals Pillow's order.
    private static func verticalPass(
        _ input: UnsafeBufferPointer<UInt8>, rowBytes: Int, firstRow: Int, axis: ResampleAxis,
        rows: Range<Int>, into output: UnsafeMutableBufferPointer<UInt8>
    ) {
        precondition(output.count == rows.count * rowBytes)
        guard let inputBase = input.baseAddress, let outputBase = output.baseAddress else { return }
        var accumulator = [Int32](repeating: 0, count: rowBytes)
        accumulator.withUnsafeMutableBufferPointer { acc in
            guard let sums = acc.baseAddress else { return }
            for (index, y) in rows.enumerated() {
                acc.update(repeating: ResampleAxis.rounding)
                let start = axis.first[y] - firstRow
                let n = axis.count[y]
                precondition(start >= 0 && (start + n) * rowBytes <= input.count, "rows outside the intermediate image")
                for t in 0..<n {
                    let w = axis.weights[y * axis.taps + t]
                    let line = inputBase + (start + t) * rowBytes
                    for i in 0..<rowBytes {
                        sums[i] &+= Int32(line[i]) &* w
                    }
                }
                let out = outputBase + index * rowBytes
                for i in 0..<rowBytes {
                    out[i] = ResampleAxis.clip(sums[i])
                }
            }
        }
    }
}
