import Foundation

/// A fixed set of worker threads that evaluate tiles handed to them by one
/// owning thread (the rank's main thread, the only one that talks MPI).
///
/// The owner submits tile numbers and collects finished tiles; it never waits
/// longer than the timeout it passes to `takeFinished`, so it can keep polling
/// for messages and signals. Tiles are evaluated independently (each starts
/// cold), so the order in which threads pick them does not affect any value.
public final class TileWorkerPool<Output: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: every mutable property below is read and written
    // only while holding `condition`; `evaluate` and `stop` are Sendable.
    private let condition = NSCondition()
    private var queue: [Int] = []
    private var queueHead = 0
    private var finished: [(tile: Int, output: Output)] = []
    private var running = 0
    /// While the owner waits in `takeFinished`: the finished tiles it waits
    /// for. Workers wake it only when that many are ready (or no more will
    /// come), not after every tile.
    private var ownerWaitsFor: Int?
    private var shuttingDown = false
    private var liveThreads = 0

    private let evaluate: @Sendable (_ tile: Int, _ stop: StopFlag) -> Output?
    private let stop: StopFlag

    /// Starts a worker thread running `body`; returns 0 or the `errno` of
    /// the failure (as `pthread_create` does). The default is
    /// `startSystemThread`; tests inject failures through it.
    public typealias ThreadStarter = @Sendable (_ index: Int, _ body: @escaping @Sendable () -> Void) -> Int32

    /// Starts `threadCount` workers. `evaluate` returns nil when it abandoned
    /// the tile because `stop` was set; abandoned tiles are not reported.
    ///
    /// - Throws: `WorkerThreadError` if `threadCount` is not positive or a
    ///   thread cannot be started (process or memory limits); the threads
    ///   already started are stopped and joined first, so nothing waits for
    ///   a thread that never ran.
    public init(threadCount: Int, stop: StopFlag, startThread: ThreadStarter = TileWorkerPool.startSystemThread,
                evaluate: @escaping @Sendable (_ tile: Int, _ stop: StopFlag) -> Output?) throws {
        self.evaluate = evaluate
        self.stop = stop
        guard threadCount >= 1 else { throw WorkerThreadError(requested: threadCount, started: 0, code: EINVAL) }
        for index in 0..<threadCount {
            // Counted before the start, so a thread that exits at once
            // (shutdown under way) cannot take the count below zero.
            condition.lock()
            liveThreads += 1
            condition.unlock()
            let code = startThread(index) { [self] in workerLoop() }
            if code != 0 {
                condition.lock()
                liveThreads -= 1
                condition.unlock()
                shutdown()
                throw WorkerThreadError(requested: threadCount, started: index, code: code)
            }
        }
    }

    /// Starts a detached POSIX thread (8 MiB stack, named
    /// `diodescan-worker-<index>`) running `body`; returns 0 or `pthread_create`'s
    /// error. Foundation's `Thread.start` cannot be used: it ignores a failed
    /// `pthread_create`, and the pool would wait for a thread that never ran.
    public static func startSystemThread(index: Int, body: @escaping @Sendable () -> Void) -> Int32 {
        var attributes = pthread_attr_t()
        guard pthread_attr_init(&attributes) == 0 else { return ENOMEM }
        defer { pthread_attr_destroy(&attributes) }
        _ = pthread_attr_setstacksize(&attributes, 8 << 20)
        _ = pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let box = Unmanaged.passRetained(WorkerThreadStart(body, name: "diodescan-worker-\(index)"))
        var thread = pthread_t()
        let code = pthread_create(&thread, &attributes, { argument in
            // `argument` is the retained box passed below, never nil.
            let box = Unmanaged<WorkerThreadStart>.fromOpaque(argument!).takeRetainedValue()
            Thread.current.name = box.name
            box.body()
            return nil
        }, box.toOpaque())
        if code != 0 { box.release() }
        return code
    }

    deinit {
        shutdown()
    }

    /// Tiles submitted and not yet collected as finished or abandoned
    /// (queued + running + finished but not taken).
    public var outstanding: Int {
        condition.lock(); defer { condition.unlock() }
        return queue.count - queueHead + running + finished.count
    }

    public func submit<S: Sequence<Int>>(_ tiles: S) {
        condition.lock()
        queue.append(contentsOf: tiles)
        condition.broadcast()
        condition.unlock()
    }

    /// Removes the tiles that no thread has started yet and returns them.
    @discardableResult
    public func dropQueued() -> [Int] {
        condition.lock(); defer { condition.unlock() }
        let dropped = Array(queue[queueHead...])
        queue.removeAll()
        queueHead = 0
        return dropped
    }

    /// Finished tiles, in completion order. Waits up to `timeout` seconds
    /// until at least `minimum` are ready, or fewer if nothing else is queued
    /// or running (returns what is ready on timeout, maybe nothing), so an
    /// owner with nothing else to do sleeps here instead of spinning, and
    /// wakes once per `minimum` tiles rather than once per tile.
    public func takeFinished(waitingUpTo timeout: TimeInterval, atLeast minimum: Int = 1) -> [(tile: Int, output: Output)] {
        condition.lock(); defer { condition.unlock() }
        let minimum = max(1, minimum)
        if timeout > 0 && !ownerMayProceed(wanting: minimum) {
            ownerWaitsFor = minimum
            let deadline = Date(timeIntervalSinceNow: timeout)
            while !ownerMayProceed(wanting: minimum) {
                if !condition.wait(until: deadline) { break }
            }
            ownerWaitsFor = nil
        }
        let taken = finished
        finished.removeAll(keepingCapacity: true)
        return taken
    }

    /// Whether an owner that wants `minimum` finished tiles should stop
    /// waiting: they are ready, or every submitted tile has finished.
    private func ownerMayProceed(wanting minimum: Int) -> Bool {
        finished.count >= minimum || (!finished.isEmpty && running == 0 && queueHead == queue.count)
    }

    /// Lets running tiles finish, discards queued ones, and waits for every thread to exit.
    public func shutdown() {
        condition.lock()
        shuttingDown = true
        queue.removeAll()
        queueHead = 0
        condition.broadcast()
        while liveThreads > 0 { condition.wait() }
        condition.unlock()
    }

    private func workerLoop() {
        condition.lock()
        while true {
            while queueHead == queue.count && !shuttingDown { condition.wait() }
            if shuttingDown { break }
            let tile = queue[queueHead]
            queueHead += 1
            if queueHead == queue.count {
                queue.removeAll(keepingCapacity: true)
                queueHead = 0
            }
            running += 1
            condition.unlock()
            let output = evaluate(tile, stop)
            condition.lock()
            running -= 1
            if let output { finished.append((tile, output)) }
            if let minimum = ownerWaitsFor, ownerMayProceed(wanting: minimum) { condition.broadcast() }
        }
        liveThreads -= 1
        condition.broadcast()
        condition.unlock()
    }
}

/// What a worker thread runs, handed to `pthread_create` retained.
private final class WorkerThreadStart: @unchecked Sendable {
    // @unchecked: written once before the thread starts, then only read by it.
    let body: @Sendable () -> Void
    let name: String
    init(_ body: @escaping @Sendable () -> Void, name: String) { (self.body, self.name) = (body, name) }
}

/// A worker pool could not start its threads.
public struct WorkerThreadError: Error, CustomStringConvertible, Equatable {
    /// Threads asked for, and started before the failure (all stopped again).
    public var requested: Int
    public var started: Int
    /// The `errno` of the failure (`EAGAIN`: the process or thread limit,
    /// `ENOMEM`: memory for the stacks).
    public var code: Int32

    public init(requested: Int, started: Int, code: Int32) {
        (self.requested, self.started, self.code) = (requested, started, code)
    }

    public var description: String {
        guard requested >= 1 else { return "a worker pool needs at least one thread (asked for \(requested))" }
        return "cannot start worker thread \(started + 1) of \(requested): \(posixMessage(code))"
            + " (the limit on processes/threads, ulimit -u, or on memory); use fewer --threads"
    }
}
