import CMPI
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An MPI communicator: ranks, point-to-point messages of numeric arrays,
/// barrier and broadcast.
///
/// Only `Communicator.world` exists today. All methods must be called from the
/// thread that initialised MPI (see `MPIEnvironment`); the type is not
/// `Sendable` so it cannot be captured by worker tasks. Every failure is
/// thrown as `MPIError` naming the MPI call (the world communicator's error
/// handler is set to `MPI_ERRORS_RETURN` by `MPIEnvironment.initialize()`).
public struct Communicator {
    let handle: MPI_Comm

    /// `MPI_COMM_WORLD`. Requires `MPIEnvironment.initialize()` first.
    public static var world: Communicator { Communicator(handle: cmpi_comm_world()) }

    /// This process's rank, 0 ..< size (`MPI_Comm_rank`).
    public var rank: Int {
        get throws(MPIError) {
            var rank: Int32 = 0
            try checkMPI(MPI_Comm_rank(handle, &rank), "MPI_Comm_rank")
            return Int(rank)
        }
    }

    /// The number of ranks (`MPI_Comm_size`).
    public var size: Int {
        get throws(MPIError) {
            var size: Int32 = 0
            try checkMPI(MPI_Comm_size(handle, &size), "MPI_Comm_size")
            return Int(size)
        }
    }

    /// The number of ranks of this communicator that share this node's
    /// memory (`MPI_Comm_split_type` with `MPI_COMM_TYPE_SHARED`), whatever
    /// launched the job (mpirun, srun, singleton). Collective: every rank
    /// must call it. Used to divide a node's cores among its ranks.
    public func ranksOnThisNode() throws(MPIError) -> Int {
        var node: MPI_Comm?
        try checkMPI(
            MPI_Comm_split_type(handle, cmpi_comm_type_shared(), 0, cmpi_info_null(), &node), "MPI_Comm_split_type")
        defer { _ = MPI_Comm_free(&node) }
        var size: Int32 = 0
        try checkMPI(MPI_Comm_size(node, &size), "MPI_Comm_size")
        return Int(size)
    }

    // MARK: Point to point

    /// Sends `values` to rank `destination` with `tag` (`MPI_Send`; blocks
    /// until the buffer may be reused, which for large messages means until
    /// the receiver has posted the matching receive).
    public func send<T: MPIMessageElement>(_ values: [T], to destination: Int, tag: Int) throws(MPIError) {
        let count = try messageCount(values.count, call: "MPI_Send")
        let code = values.withUnsafeBufferPointer { buffer in
            MPI_Send(
                buffer.baseAddress, count, T.mpiDatatype.handle,
                Int32(clamping: destination), Int32(clamping: tag), handle)
        }
        try checkMPI(code, "MPI_Send")
    }

    /// Starts sending `values` without blocking (`MPI_Isend`). The request
    /// owns a copy of the values until the send completes; keep it and call
    /// `wait()` or `test()`. Dropping an unfinished request waits for it.
    public func sendNonBlocking<T: MPIMessageElement>(
        _ values: [T], to destination: Int, tag: Int
    ) throws(MPIError) -> SendRequest {
        let count = try messageCount(values.count, call: "MPI_Isend")
        let request = SendRequest(copying: values)
        let code = request.start { buffer, requestPointer in
            MPI_Isend(
                buffer, count, T.mpiDatatype.handle,
                Int32(clamping: destination), Int32(clamping: tag), handle, requestPointer)
        }
        try checkMPI(code, "MPI_Isend")
        return request
    }

    /// Waits for a message matching `source` and `tag` and returns its
    /// envelope without receiving it (`MPI_Probe`).
    public func probe(from source: MessageSource = .any, tag: MessageTag = .any) throws(MPIError) -> MessageStatus {
        var status = MPI_Status()
        try checkMPI(MPI_Probe(source.mpiValue, tag.mpiValue, handle, &status), "MPI_Probe")
        return MessageStatus(status)
    }

    /// Returns the envelope of a pending message matching `source` and `tag`,
    /// or `nil` if none has arrived yet (`MPI_Iprobe`; never blocks).
    public func iprobe(from source: MessageSource = .any, tag: MessageTag = .any) throws(MPIError) -> MessageStatus? {
        var status = MPI_Status()
        var flag: Int32 = 0
        try checkMPI(MPI_Iprobe(source.mpiValue, tag.mpiValue, handle, &flag, &status), "MPI_Iprobe")
        return flag != 0 ? MessageStatus(status) : nil
    }

    /// Receives the next message matching `source` and `tag`, of any length
    /// (`MPI_Probe` to size the buffer, then `MPI_Recv` from the matched
    /// sender and tag; MPI's non-overtaking rule makes both see the same
    /// message because only one thread receives).
    public func receive<T: MPIMessageElement>(
        _ type: T.Type = T.self, from source: MessageSource = .any, tag: MessageTag = .any
    ) throws(MPIError) -> ReceivedMessage<T> {
        let envelope = try probe(from: source, tag: tag)
        return try receive(type, matching: envelope)
    }

    /// Receives the message described by `envelope` (from `probe`/`iprobe`).
    public func receive<T: MPIMessageElement>(
        _ type: T.Type = T.self, matching envelope: MessageStatus
    ) throws(MPIError) -> ReceivedMessage<T> {
        let count = try envelope.count(of: T.self)
        // Not zeroed: MPI_Recv writes all `count` elements (the probed
        // message's size) or fails, and then the array is discarded. Any bit
        // pattern is a valid value of these plain number types.
        var values = [T](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        var status = MPI_Status()
        let code = values.withUnsafeMutableBufferPointer { buffer in
            MPI_Recv(
                buffer.baseAddress, Int32(count), T.mpiDatatype.handle,
                Int32(envelope.source), Int32(envelope.tag), handle, &status)
        }
        try checkMPI(code, "MPI_Recv")
        return ReceivedMessage(values: values, source: Int(status.MPI_SOURCE), tag: Int(status.MPI_TAG))
    }

    // MARK: Collectives

    /// Blocks until every rank has called it (`MPI_Barrier`).
    public func barrier() throws(MPIError) {
        try checkMPI(MPI_Barrier(handle), "MPI_Barrier")
    }

    /// Blocks until every rank has called it, like `barrier()`, but without
    /// spinning: it starts a non-blocking barrier (`MPI_Ibarrier`) and tests
    /// it (`MPI_Test`) every `interval`, sleeping in between. Open MPI's
    /// blocking calls poll at full speed, so a rank that waits in
    /// `barrier()` while others still work (rank 0 writing the result file)
    /// takes a core from them when ranks share cores.
    public func barrier(testingEvery interval: Duration) throws(MPIError) {
        var request = cmpi_request_null()
        try checkMPI(MPI_Ibarrier(handle, &request), "MPI_Ibarrier")
        let (seconds, attoseconds) = interval.components
        let microseconds = max(1, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        while true {
            var flag: Int32 = 0
            try checkMPI(MPI_Test(&request, &flag, cmpi_status_ignore()), "MPI_Test")
            if flag != 0 { return }
            usleep(UInt32(clamping: microseconds))
        }
    }

    /// Broadcasts `bytes` from rank `root` to every rank and returns the
    /// root's bytes everywhere (`MPI_Bcast` of the length, then the bytes).
    /// Non-root ranks' argument is ignored.
    public func broadcast(_ bytes: [UInt8], root: Int) throws(MPIError) -> [UInt8] {
        let isRoot = try rank == root
        var length: [Int64] = [isRoot ? Int64(bytes.count) : 0]
        let lengthCode = length.withUnsafeMutableBufferPointer { buffer in
            MPI_Bcast(buffer.baseAddress, 1, cmpi_int64(), Int32(clamping: root), handle)
        }
        try checkMPI(lengthCode, "MPI_Bcast")
        let count = try messageCount(Int(length[0]), call: "MPI_Bcast")
        var payload = isRoot ? bytes : [UInt8](repeating: 0, count: Int(count))
        guard count > 0 else { return payload }
        let code = payload.withUnsafeMutableBufferPointer { buffer in
            MPI_Bcast(buffer.baseAddress, count, cmpi_uint8(), Int32(clamping: root), handle)
        }
        try checkMPI(code, "MPI_Bcast")
        return payload
    }

    /// Broadcasts a UTF-8 string (e.g. a job file's text) from `root`.
    public func broadcast(_ text: String, root: Int) throws(MPIError) -> String {
        String(decoding: try broadcast(Array(text.utf8), root: root), as: UTF8.self)
    }

    /// Aborts every rank of the job with exit status `code` (`MPI_Abort`).
    public func abort(code: Int32) -> Never {
        _ = MPI_Abort(handle, code)
        MPIEnvironment.abort(code: code)
    }

    private func messageCount(_ count: Int, call: String) throws(MPIError) -> Int32 {
        guard let count32 = Int32(exactly: count) else {
            throw MPIError(
                call: call, code: -1,
                message: "\(count) elements exceed the MPI count limit of \(Int32.max)")
        }
        return count32
    }
}

@available(*, unavailable, message: "MPI is called only from the main thread (MPI_THREAD_FUNNELED)")
extension Communicator: Sendable {}

/// An in-flight non-blocking send (`MPI_Isend`) that owns its buffer.
///
/// Not `Sendable`: completion must be checked on the MPI thread.
public final class SendRequest {
    private let buffer: UnsafeMutableRawBufferPointer
    private var request: MPI_Request?
    private var pending = false

    init<T: MPIMessageElement>(copying values: [T]) {
        let byteCount = max(1, values.count * MemoryLayout<T>.stride)
        buffer = .allocate(byteCount: byteCount, alignment: MemoryLayout<T>.alignment)
        values.withUnsafeBytes { source in
            buffer.copyMemory(from: source)
        }
        request = cmpi_request_null()
    }

    func start(_ body: (UnsafeMutableRawPointer?, UnsafeMutablePointer<MPI_Request?>) -> Int32) -> Int32 {
        let code = body(buffer.baseAddress, &request)
        pending = code == cmpi_success()
        return code
    }

    /// Whether the send has completed (`MPI_Test`; never blocks).
    public func test() throws(MPIError) -> Bool {
        guard pending else { return true }
        var flag: Int32 = 0
        try checkMPI(MPI_Test(&request, &flag, cmpi_status_ignore()), "MPI_Test")
        if flag != 0 { pending = false }
        return !pending
    }

    /// Blocks until the send has completed (`MPI_Wait`).
    public func wait() throws(MPIError) {
        guard pending else { return }
        try checkMPI(MPI_Wait(&request, cmpi_status_ignore()), "MPI_Wait")
        pending = false
    }

    deinit {
        if pending && !MPIEnvironment.isFinalized {
            _ = MPI_Wait(&request, cmpi_status_ignore())
        }
        buffer.deallocate()
    }
}
