import Synchronization

/// A flag that asks running work to stop, set once and read from any thread
/// (signal handling sets it; workers poll it between points).
public final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public var isSet: Bool { flag.load(ordering: .acquiring) }

    public func set() { flag.store(true, ordering: .releasing) }
}
