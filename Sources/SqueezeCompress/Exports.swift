// The toolkit's one import: `import SqueezeCompress` brings every stage's public API.
@_exported import SqueezeExecutor
@_exported import SqueezeImage
@_exported import SqueezeModel
@_exported import SqueezeReader
@_exported import SqueezeContainer
@_exported import SqueezeEncode
@_exported import SqueezeData
@_exported import SqueezeTrain
@_exported import SqueezePrune
@_exported import SqueezeQuantize
@_exported import SqueezeReconstruct
