import Foundation
import SqueezeImage
import TestSupport
import Testing

/// The project's reference tensors were made with Pillow (BILINEAR resize to
/// 256x256), a centre 227x227 crop, BGR order and mean (104, 117, 123).
@Suite("Preprocessing matches the golden tensors")
struct GoldenTensorTests {
    @Test("exact match with the reference input", arguments: SharedData.referenceImages)
    func goldenTensor(name: String) throws {
        let golden = try SharedData.readFloats(SharedData.reference.appendingPathComponent(name + ".input.f32"))
        let preprocessing = Preprocessing.caffeImageNet
        #expect(golden.count == preprocessing.outputCount)
        #expect(preprocessing.outputShape == [3, 227, 227])

        let tensor = try preprocessing.preprocess(jpegAt: sampleImage(name))
        #expect(tensor.count == golden.count)
        let maxDifference = zip(tensor, golden).map { abs($0 - $1) }.max() ?? .infinity
        #expect(maxDifference == 0, "max |difference| \(maxDifference) for \(name)")
    }

    @Test("writing into a slot of a batch buffer gives the same tensor")
    func batchSlot() throws {
        let preprocessing = Preprocessing.caffeImageNet
        let n = preprocessing.outputCount
        let names = SharedData.referenceImages
        var batch = [Float](repeating: .nan, count: n * names.count)
        try batch.withUnsafeMutableBufferPointer { buffer in
            for (i, name) in names.enumerated() {
                let slot = UnsafeMutableBufferPointer(rebasing: buffer[(i * n)..<((i + 1) * n)])
                try preprocessing.preprocess(jpegAt: sampleImage(name), into: slot)
            }
        }
        for (i, name) in names.enumerated() {
            let golden = try SharedData.readFloats(SharedData.reference.appendingPathComponent(name + ".input.f32"))
            let slot = batch[(i * n)..<((i + 1) * n)]
            let worst = zip(slot, golden).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst == 0, "slot \(i) (\(name)): max |difference| \(worst)")
        }
    }
}

@Suite("Crop position, mirroring, channel order and scale")
struct CropAndMirrorTests {
    let image: RGBImage
    let resized: RGBImage

    init() throws {
        image = try RGBImage(contentsOfJPEG: sampleImage("n01440764_tench"))
        resized = image.resized(width: 256, height: 256)
    }

    /// Reference: plain loops over the fully resized image.
    func expected(_ p: Preprocessing, x0: Int, y0: Int, mirror: Bool) -> [Float] {
        let means = [p.mean.red, p.mean.green, p.mean.blue]
        let channels = p.channelOrder == .bgr ? [2, 1, 0] : [0, 1, 2]
        var out: [Float] = []
        for c in channels {
            for y in 0..<p.cropHeight {
                for x in 0..<p.cropWidth {
                    let sx = x0 + (mirror ? p.cropWidth - 1 - x : x)
                    let v = resized.pixels[((y0 + y) * resized.width + sx) * 3 + c]
                    out.append((Float(v) - means[c]) * p.scale)
                }
            }
        }
        return out
    }

    @Test("centre crop offset is (256 - 227) / 2 = 14")
    func centreOrigin() {
        let origin = Preprocessing.caffeImageNet.cropOrigin(.center)
        #expect(origin.x == 14 && origin.y == 14)
    }

    @Test(
        "crop window and mirror equal cropping the full resize",
        arguments: [CropPosition.center, .offset(x: 0, y: 0), .offset(x: 29, y: 29), .offset(x: 3, y: 21)],
        [false, true])
    func window(position: CropPosition, mirror: Bool) {
        let p = Preprocessing.caffeImageNet
        let origin = p.cropOrigin(position)
        let tensor = p.preprocess(image, crop: position, mirror: mirror)
        #expect(tensor == expected(p, x0: origin.x, y0: origin.y, mirror: mirror))
    }

    @Test("RGB order, other sizes and a scale")
    func otherConfiguration() {
        let p = Preprocessing(
            resizeWidth: 256, resizeHeight: 256, cropWidth: 224, cropHeight: 200,
            mean: .init(red: 10, green: 20, blue: 30), channelOrder: .rgb, scale: 0.5)
        #expect(p.outputCount == 3 * 200 * 224)
        let tensor = p.preprocess(image, crop: .offset(x: 32, y: 56), mirror: true)
        #expect(tensor == expected(p, x0: 32, y0: 56, mirror: true))
    }

    @Test("random crops stay inside the resized image")
    func randomCrop() {
        var generator = SystemRandomNumberGenerator()
        let p = Preprocessing.caffeImageNet
        for _ in 0..<200 {
            guard case .offset(let x, let y) = p.randomCrop(using: &generator) else {
                Issue.record("random crop is not an explicit offset")
                return
            }
            #expect((0...29).contains(x) && (0...29).contains(y))
        }
    }
}
