import Foundation
import SqueezeImage
import TestSupport
import Testing

/// Hashes of Pillow 13 output, made offline with
/// `im = Image.open(f).convert("RGB")`, `im.resize((256, 256), Image.BILINEAR)`
/// and `im.resize((2 * w + 1, h + 3), Image.BILINEAR)` (an upscale).
struct PillowExpectation: Sendable, CustomTestStringConvertible {
    let name: String
    let grayscale: Bool
    let width: Int
    let height: Int
    let decoded: UInt64
    let resized256: UInt64
    let upscaled: UInt64

    var testDescription: String { name }

    static let all = [
        PillowExpectation(
            name: "n02676566_acoustic_guitar", grayscale: true, width: 700, height: 467,
            decoded: 0xa4d1_3585_88ca_71ba, resized256: 0x8feb_75f0_5637_166e, upscaled: 0xfc7b_b084_ee93_962f),
        PillowExpectation(
            name: "n02815834_beaker", grayscale: true, width: 320, height: 221,
            decoded: 0x7c6d_3acf_3a97_3832, resized256: 0xe194_f7fa_84f9_5e09, upscaled: 0xa7d3_efc3_9213_00c6),
        PillowExpectation(
            name: "n04090263_rifle", grayscale: true, width: 394, height: 500,
            decoded: 0x8a49_33be_1fc0_8b95, resized256: 0x6440_5927_147a_99b0, upscaled: 0xc1f6_221b_dda0_aaa1),
        PillowExpectation(
            name: "n01440764_tench", grayscale: false, width: 500, height: 375,
            decoded: 0xeabc_0b5a_98da_2fd3, resized256: 0xe8e8_8af4_0ef0_f25d, upscaled: 0x2ec4_4a4f_cff8_f56e),
        PillowExpectation(
            name: "n01530575_brambling", grayscale: false, width: 500, height: 376,
            decoded: 0xa317_61c7_573a_b709, resized256: 0x173c_332e_d75a_82be, upscaled: 0x38c2_6032_1437_4540),
        PillowExpectation(
            name: "n03908714_pencil_sharpener", grayscale: true, width: 333, height: 500,
            decoded: 0x13c5_10b5_3ccd_b48a, resized256: 0xc257_8481_d9dc_904e, upscaled: 0xb10a_5505_cf2b_4828),
    ]
}

/// 20x12 synthetic 4-component JPEGs written with libjpeg (Adobe marker,
/// transform 2 = YCCK and 0 = CMYK), with hashes of Pillow's `convert("RGB")`.
enum CMYKFixture {
    static let ycck = bytes(hex: """
        ffd8ffee000e41646f626500640000000002ffdb0043000302020302020303030304030304050805050404050a070706080c0a0c0c0b0a0b0b0d0e12100d0e110e0b0b1016101113141515150c0f171816141812141514ffdb00430103040405040509050509140d0b0d1414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414ffc0001408000c001404012200021101031101042200ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc4001f0100030101010101010101010000000000000102030405060708090a0bffc400b51100020102040403040705040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000e040100021103110400003f00facfc53f1d3eff00fa47fe3d5e3fe29f8e9f7ffd23ff001eaf9efc53e2ed4fe7fdfd78ff008a7c5da9fcff00bfae8ccb2c86a7dc718f87f84f7b63efff001beb7feb3e6af9ff00c6fadffacf9abd2bc6f7727ef3e6af9ffc6f7727ef3e6afa4f50f8e9fe94dfe91ff8f515f0d6a3e2fd4fed4dfbfa2be1259642ecfe60abe1f60fda4b6dce2756d6ff00d35fe6a2b89d5aee4fb6bfcd457fffd9
        """)
    static let ycckPillowHash: UInt64 = 0xc1e1_f386_f0f7_a2ec

    static let cmyk = bytes(hex: """
        ffd8ffee000e41646f626500640000000000ffdb0043000302020302020303030304030304050805050404050a070706080c0a0c0c0b0a0b0b0d0e12100d0e110e0b0b1016101113141515150c0f171816141812141514ffc0001408000c0014044311004d11005911004b1100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda000e0443004d0059004b00003f00f86be097fcbbfe15f327fc324ffd397fe3b5f1ff00c36f86dfeabf75e9dabeff00f1beb7feb3e6afd00f825ff2eff851ff000c93ff004e5ff8ed7d57f0dbe1b7faafdd7a76af9ffc6fadff00acf9abed8f09ff00c8121a3fe1927fe9cbff001dafa4342f86dff12d8ff75fa5789eadadff00a6bfcd5f84ff0004bfe5dff0afd68ff856da0ffcfa7ea3fc2be54f86da159feebf77e95f5b78deee4fde7cd5fa01f04bfe5dff000a3fe15b683ff3e9fa8ff0afaafe1b68567fbafddfa57cff00e37bb93f79f357db1e13ff009024347fc2b6d07fe7d3f51fe15f48685a159ff66c7fbbaf13d5aee4fb6bfcd5ffd9
        """)
    static let cmykPillowHash: UInt64 = 0x1b9f_11a0_180a_a060
}

@Suite("JPEG decoding and resizing match Pillow")
struct PillowMatchTests {
    @Test("decode, 256x256 resize and upscale", arguments: PillowExpectation.all)
    func matchesPillow(expectation e: PillowExpectation) throws {
        let image = try RGBImage(contentsOfJPEG: sampleImage(e.name))
        #expect(image.width == e.width && image.height == e.height)
        #expect(image.pixels.count == e.width * e.height * 3)
        #expect(fnv1a(image.pixels) == e.decoded)
        if e.grayscale {
            let (r, g, b) = image[image.width / 2, image.height / 2]
            #expect(r == g && g == b)
        }
        #expect(fnv1a(image.resized(width: 256, height: 256).pixels) == e.resized256)
        #expect(fnv1a(image.resized(width: 2 * e.width + 1, height: e.height + 3).pixels) == e.upscaled)
    }

    @Test("decoding from Data and from a file agree")
    func dataAndFile() throws {
        let url = sampleImage("n01440764_tench")
        let fromData = try RGBImage(jpegData: Data(contentsOf: url))
        #expect(fromData == (try RGBImage(contentsOfJPEG: url)))
    }

    @Test("YCCK (Adobe transform 2) converts like Pillow")
    func ycck() throws {
        let image = try RGBImage(jpegData: CMYKFixture.ycck, name: "ycck.jpg")
        #expect(image.width == 20 && image.height == 12)
        #expect(fnv1a(image.pixels) == CMYKFixture.ycckPillowHash)
    }

    @Test("CMYK (Adobe transform 0) converts like Pillow")
    func cmyk() throws {
        let image = try RGBImage(jpegData: CMYKFixture.cmyk, name: "cmyk.jpg")
        #expect(image.width == 20 && image.height == 12)
        #expect(fnv1a(image.pixels) == CMYKFixture.cmykPillowHash)
    }

    @Test("resizing to the same size is the identity, as in Pillow")
    func identityResize() throws {
        let image = try RGBImage(jpegData: CMYKFixture.cmyk)
        #expect(image.resized(width: image.width, height: image.height) == image)
    }
}

@Suite("JPEG errors")
struct JPEGErrorTests {
    let tench = sampleImage("n01440764_tench")

    /// Writes `bytes` to a temporary file and decodes it.
    func decodeFile(_ bytes: [UInt8], named name: String = "fixture.JPEG") throws -> ImageError? {
        try withTemporaryDirectory { directory throws -> ImageError? in
            let url = directory.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            do throws(ImageError) {
                _ = try RGBImage(contentsOfJPEG: url)
                return nil
            } catch {
                #expect(error.description.contains(url.path), "message names the file: \(error)")
                #expect(!error.description.contains("\n"))
                return error
            }
        }
    }

    /// The tench JPEG with its SOF0 header bytes patched.
    func patchedSOF(_ patch: (inout [UInt8], Int) -> Void) throws -> [UInt8] {
        var data = [UInt8](try Data(contentsOf: tench))
        let sof = try #require((0..<(data.count - 1)).first { data[$0] == 0xFF && data[$0 + 1] == 0xC0 })
        patch(&data, sof)
        return data
    }

    @Test("a file that is not a JPEG")
    func notJPEG() throws {
        let error = try decodeFile(Array("synsets are not pixels\n".utf8), named: "text.JPEG")
        guard case .notJPEG = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test("an empty file")
    func emptyFile() throws {
        let error = try decodeFile([])
        guard case .empty = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test("empty data without a file name", arguments: [[UInt8](), [0xFF], [0xFF, 0xD8]])
    func emptyOrShortData(data: [UInt8]) {
        #expect(throws: ImageError.self) { try RGBImage(jpegData: data) }
        do {
            _ = try RGBImage(jpegData: data)
        } catch {
            let expected: ImageError = data.isEmpty ? .empty(file: nil) : .notJPEG(file: nil)
            #expect(error == expected)
        }
    }

    @Test("a truncated JPEG", arguments: [3, 200, 1000, 50_000, -2, -1])
    func truncated(keep: Int) throws {
        let data = [UInt8](try Data(contentsOf: tench))
        let prefix = Array(data.prefix(keep > 0 ? keep : data.count + keep))
        let error = try decodeFile(prefix, named: "cut.JPEG")
        guard case .truncated = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.description.hasSuffix("cut.JPEG: truncated JPEG (data ends before the image does)") == true)
    }

    @Test("a missing file")
    func missingFile() throws {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/x.JPEG")
        #expect(throws: ImageError.fileNotFound(path: url.path)) { try RGBImage(contentsOfJPEG: url) }
    }

    @Test("a directory instead of a file")
    func directory() throws {
        try withTemporaryDirectory { directory in
            do throws(ImageError) {
                _ = try RGBImage(contentsOfJPEG: directory)
                Issue.record("decoded a directory")
            } catch {
                guard case .unreadableFile(let path, _) = error else { Issue.record("got \(error)"); return }
                #expect(path == directory.path)
            }
        }
    }

    @Test("more pixels than the limit")
    func tooLarge() throws {
        // 60000 x 60000 in the header: refused before anything is allocated.
        let huge = try patchedSOF { data, sof in
            data.replaceSubrange((sof + 5)..<(sof + 9), with: [0xEA, 0x60, 0xEA, 0x60])
        }
        let error = try decodeFile(huge)
        guard case .tooLarge = error else { Issue.record("got \(String(describing: error))"); return }

        #expect(throws: ImageError.self) { try RGBImage(contentsOfJPEG: tench, maximumPixels: 500 * 375 - 1) }
        #expect(throws: Never.self) { try RGBImage(contentsOfJPEG: tench, maximumPixels: 500 * 375) }
    }

    @Test("12-bit samples are unsupported")
    func unsupportedPrecision() throws {
        let twelveBit = try patchedSOF { data, sof in data[sof + 4] = 12 }
        let error = try decodeFile(twelveBit)
        guard case .unsupported = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test("corrupt data is an error, not a crash")
    func corrupt() throws {
        // A JPEG signature followed by a segment with an impossible length.
        let error = try decodeFile([0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xD9])
        guard case .corrupt = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test("every error message is a single line")
    func oneLineMessages() {
        let errors: [ImageError] = [
            .empty(file: nil), .notJPEG(file: "a.JPEG"), .truncated(file: "a.JPEG"),
            .unsupported(file: "a.JPEG", detail: "two\nlines"), .tooLarge(file: nil, detail: "x"),
            .corrupt(file: "a.JPEG", detail: "y"), .outOfMemory(file: nil), .fileNotFound(path: "/p"),
            .unreadableFile(path: "/p", reason: "r\r\n"), .notADirectory(path: "/p"), .noImages(directory: "/d"),
            .emptySynsets(file: "s"), .malformedSynsetLine(file: "s", line: 3),
            .duplicateSynset(file: "s", id: "n1", line: 4, firstLine: 1), .unknownSynset(file: "f", id: "n9"),
            .missingSynsetPrefix(file: "f"),
        ]
        for error in errors {
            #expect(!error.description.isEmpty)
            let multiline = error.description.contains(where: \.isNewline)
            #expect(!multiline, "\(error)")
        }
    }
}
