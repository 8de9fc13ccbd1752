import SqueezeKernels
import SqueezeModel

extension DenseProgram {
    /// One layer, ready to run: buffer ids, geometry and weights.
    struct Step: Sendable {
        let name: String
        let inputs: [Int]
        let outputs: [Int]
        let operation: Operation

        enum Operation: Sendable {
            case convolution(Convolution)
            case innerProduct(inputCount: Int, outputCount: Int, weights: DenseWeights, hasBias: Bool)
            case relu(count: Int, slope: Float)
            case identity(count: Int)
            case maxPool(PoolingGeometry, planes: Int)
            case averagePool(PoolingGeometry, planes: Int)
            case globalAveragePool(planes: Int, planeSize: Int)
            /// Copies each input's `chunks[i]` values per outer index into place.
            case concat(outer: Int, chunks: [Int])
            case lrnAcross(images: Int, channels: Int, planeSize: Int, LRNParameters)
            case lrnWithin(planes: Int, height: Int, width: Int, LRNParameters)
            case softmax(outer: Int, classes: Int, inner: Int)
        }

        struct Convolution: Sendable {
            let geometry: ConvolutionGeometry
            let batch: Int
            let groups: Int
            let outputChannels: Int
            let weights: DenseWeights
            let hasBias: Bool
        }

        init(layer: Layer, shapes: LayerShapes, inputs: [Int], outputs: [Int], weights: DenseWeights?) throws(ExecutorError) {
            self.name = layer.name
            self.inputs = inputs
            self.outputs = outputs
            let x = shapes.inputs[0]
            switch layer.kind {
            case .convolution(let p):
                guard let weights else { throw .invalidModel(.missingWeights(layer: layer.name)) }
                let g = ConvolutionGeometry(input: x, convolution: p)
                operation = .convolution(Convolution(geometry: g, batch: x.batch, groups: p.groups,
                                                     outputChannels: p.outputChannels, weights: weights,
                                                     hasBias: p.hasBias))
            case .innerProduct(let p):
                guard let weights else { throw .invalidModel(.missingWeights(layer: layer.name)) }
                operation = .innerProduct(inputCount: x.itemCount, outputCount: p.outputCount,
                                          weights: weights, hasBias: p.hasBias)
            case .relu(let slope):
                operation = .relu(count: x.elementCount, slope: slope)
            case .dropout:
                operation = .identity(count: x.elementCount)
            case .pooling(let p):
                let planes = x.batch * x.channels
                if p.isGlobal, p.method == .average {
                    operation = .globalAveragePool(planes: planes, planeSize: x.height * x.width)
                } else {
                    let g = PoolingGeometry(input: x, output: shapes.outputs[0], pooling: p)
                    operation = p.method == .max ? .maxPool(g, planes: planes) : .averagePool(g, planes: planes)
                }
            case .concat(let axis):
                let a = Layer.normalizedAxis(axis, rank: x.rank) ?? 1
                let outer = x.dimensions[..<a].reduce(1, *)
                operation = .concat(outer: outer, chunks: shapes.inputs.map { $0.dimensions[a...].reduce(1, *) })
            case .lrn(let p):
                switch p.region {
                case .acrossChannels:
                    operation = .lrnAcross(images: x.batch, channels: x.channels, planeSize: x.height * x.width, p)
                case .withinChannel:
                    operation = .lrnWithin(planes: x.batch * x.channels, height: x.height, width: x.width, p)
                }
            case .softmax(let axis):
                let a = Layer.normalizedAxis(axis, rank: x.rank) ?? 1
                operation = .softmax(outer: x.dimensions[..<a].reduce(1, *), classes: x.dimensions[a],
                                     inner: x.dimensions[(a + 1)...].reduce(1, *))
            }
        }
    }
}
