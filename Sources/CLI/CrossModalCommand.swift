import ArgumentParser
import Foundation
import Tensors

/// The `crossmodal` command-line tool.
@main
struct CrossModalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crossmodal",
        abstract: "Image–text cross-modal fusion models on a Swift tensor engine.",
        subcommands: [DemoCommand.self, TrainCommand.self, EvalCommand.self, PredictCommand.self, ServeCommand.self, BenchCommand.self, SortOfCLEVRCommand.self, EmbedTextCommand.self, EmbedImagesCommand.self, FashionScenesCommand.self])

    static func main() async {
        useBestBLASKernels()
        await main(nil)
    }

    /// OpenBLAS reads `OPENBLAS_CORETYPE` only as it loads: when it chose kernels weaker than the CPU supports
    /// (`BLASKernels.preferred`), the process starts itself again with the variable set, before anything else
    /// runs (so under mpirun too, before MPI starts). `CROSSMODAL_BLAS_CHOSEN` tells the new process what
    /// OpenBLAS had chosen, for the benchmarks' headers.
    static func useBestBLASKernels() {
        let environment = ProcessInfo.processInfo.environment
        guard let core = BLASKernels.preferred(current: BLASKernels.current.core, flags: BLASKernels.cpuFlags, environment: environment)
        else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("CROSSMODAL_BLAS_CHOSEN", BLASKernels.current.core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when the exec failed: go on with OpenBLAS's own choice.
        unsetenv("OPENBLAS_CORETYPE")
        FileHandle.standardError.write(Data("crossmodal: could not restart with OPENBLAS_CORETYPE=\(core) (\(String(cString: strerror(errno)))); matmuls use OpenBLAS's \(BLASKernels.current.core) kernels\n".utf8))
    }
}
