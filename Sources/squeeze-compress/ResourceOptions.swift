import ArgumentParser
import SqueezeCompress

extension MemoryLimit: ExpressibleByArgument {
    /// `4G`, `512M`, `1000000`: bytes with an optional binary suffix (K, M, G, T).
    public init?(argument: String) {
        guard let bytes = ByteCount.parse(argument) else { return nil }
        self.init(bytes: bytes)
    }

    /// The default shown in `--help`.
    public var defaultValueDescription: String { "\(self)" }
}

/// `--memory-limit`, shared by every command: how much memory the command may
/// plan to use. Work that would need more is refused before it starts.
struct ResourceOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Refuse work that would need more memory than this: bytes, or with a suffix K, M, G, T "
            + "(default: 3/4 of physical memory, at most half of what ulimit -v/-d leave).",
        valueName: "size"))
    var memoryLimit: MemoryLimit?

    /// Applies the limit to the whole process as soon as the options are parsed,
    /// so every reader, engine and trainer the command uses is bound by it.
    func validate() throws {
        if let memoryLimit { MemoryLimit.current = memoryLimit }
    }
}
