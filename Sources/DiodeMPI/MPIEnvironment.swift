import CMPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process-wide MPI library state: initialisation and finalisation.
///
/// **Threading rule.** MPI is initialised with `MPI_THREAD_FUNNELED`: every MPI
/// call, including everything in `Communicator`, must come from the thread that
/// called `initialize()` (the main thread). Worker threads compute; the main
/// thread talks to other ranks. `Communicator` is deliberately not `Sendable`
/// so the compiler refuses to move it into a worker task.
///
/// The same binary runs under `mpirun`/`srun` and alone (Open MPI's singleton
/// mode: one rank, size 1).
public enum MPIEnvironment {
    /// Initialises MPI (`MPI_Init_thread` with `MPI_THREAD_FUNNELED`) unless
    /// it is already initialised; call it on the main thread.
    ///
    /// - Throws: `MPIError` if MPI was already finalised (MPI cannot be
    ///   initialised twice in one process) or if the library provides a lower
    ///   thread level than `MPI_THREAD_FUNNELED`.
    public static func initialize() throws(MPIError) {
        if isFinalized {
            throw MPIError(
                call: "MPI_Init_thread", code: -1,
                message: "MPI was already finalized in this process and cannot be initialized again")
        }
        guard !isInitialized else { return }
        var provided: Int32 = 0
        let code = MPI_Init_thread(nil, nil, cmpi_thread_funneled(), &provided)
        try checkMPI(code, "MPI_Init_thread")
        // Errors on the world communicator are returned, not fatal, so they
        // become thrown `MPIError`s with the call named.
        try checkMPI(
            MPI_Comm_set_errhandler(cmpi_comm_world(), cmpi_errors_return()),
            "MPI_Comm_set_errhandler")
        guard provided >= cmpi_thread_funneled() else {
            throw MPIError(
                call: "MPI_Init_thread", code: -1,
                message: "the MPI library provides thread level \(provided), "
                    + "diodescan needs MPI_THREAD_FUNNELED (\(cmpi_thread_funneled()))")
        }
    }

    /// Finalises MPI (`MPI_Finalize`) once; later calls, and calls when MPI
    /// was never initialised, do nothing. Call it on the main thread after the
    /// last communication.
    public static func finalize() throws(MPIError) {
        guard isInitialized, !isFinalized else { return }
        try checkMPI(MPI_Finalize(), "MPI_Finalize")
    }

    /// Whether `MPI_Init_thread` has been called (`MPI_Initialized`); stays
    /// `true` after finalisation, as in MPI.
    public static var isInitialized: Bool {
        var flag: Int32 = 0
        _ = MPI_Initialized(&flag)
        return flag != 0
    }

    /// Whether `MPI_Finalize` has been called (`MPI_Finalized`).
    public static var isFinalized: Bool {
        var flag: Int32 = 0
        _ = MPI_Finalized(&flag)
        return flag != 0
    }

    /// The thread support level MPI provides (`MPI_Query_thread`), e.g. to
    /// report it; `nil` before initialisation or after finalisation.
    public static var providedThreadLevel: Int? {
        guard isInitialized, !isFinalized else { return nil }
        var provided: Int32 = 0
        guard MPI_Query_thread(&provided) == cmpi_success() else { return nil }
        return Int(provided)
    }

    /// Whether the calling thread is the one that initialised MPI
    /// (`MPI_Is_thread_main`); `false` when MPI is not active.
    public static var isMainThread: Bool {
        guard isInitialized, !isFinalized else { return false }
        var flag: Int32 = 0
        guard MPI_Is_thread_main(&flag) == cmpi_success() else { return false }
        return flag != 0
    }

    /// The number of ranks of this job on this node as Open MPI's `mpirun`
    /// announces it (`OMPI_COMM_WORLD_LOCAL_SIZE`); `nil` without `mpirun`
    /// (singleton mode, or `srun`). Needs no MPI call; once MPI is running,
    /// `Communicator.ranksOnThisNode()` answers for every launcher.
    public static var localRankCount: Int? {
        guard let value = getenv("OMPI_COMM_WORLD_LOCAL_SIZE") else { return nil }
        guard let count = Int(String(cString: value)), count > 0 else { return nil }
        return count
    }

    /// Aborts every rank of the job (`MPI_Abort` on the world communicator)
    /// with `code` as exit status. Works before initialisation too (then it
    /// just exits).
    public static func abort(code: Int32) -> Never {
        if isInitialized && !isFinalized {
            _ = MPI_Abort(cmpi_comm_world(), code)
        }
        exit(code)
    }
}
