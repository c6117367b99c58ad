import CMPI

/// An MPI datatype handle, opaque outside `DiodeMPI`.
public struct MPIDatatype {
    let handle: MPI_Datatype
}

/// A scalar type that can travel in an MPI message as an array.
///
/// `Double`, `Int64`, `Int32` and `UInt8` conform; the element type of a send
/// must match the receive (MPI does not convert). Elements are plain numbers
/// (`BitwiseCopyable`): a receive buffer is filled by MPI, not initialised.
public protocol MPIMessageElement: BitwiseCopyable {
    /// The MPI datatype describing one element.
    static var mpiDatatype: MPIDatatype { get }
}

extension Double: MPIMessageElement {
    public static var mpiDatatype: MPIDatatype { MPIDatatype(handle: cmpi_double()) }
}

extension Int64: MPIMessageElement {
    public static var mpiDatatype: MPIDatatype { MPIDatatype(handle: cmpi_int64()) }
}

extension Int32: MPIMessageElement {
    public static var mpiDatatype: MPIDatatype { MPIDatatype(handle: cmpi_int32()) }
}

extension UInt8: MPIMessageElement {
    public static var mpiDatatype: MPIDatatype { MPIDatatype(handle: cmpi_uint8()) }
}

/// Which sender a receive or probe matches.
public enum MessageSource: Hashable, Sendable, ExpressibleByIntegerLiteral {
    /// Any rank (`MPI_ANY_SOURCE`).
    case any
    /// The given rank of the communicator.
    case rank(Int)

    public init(integerLiteral value: Int) { self = .rank(value) }

    var mpiValue: Int32 {
        switch self {
        case .any: return cmpi_any_source()
        case .rank(let rank): return Int32(clamping: rank)
        }
    }
}

/// Which tag a receive or probe matches.
public enum MessageTag: Hashable, Sendable, ExpressibleByIntegerLiteral {
    /// Any tag (`MPI_ANY_TAG`).
    case any
    /// Exactly this tag (0 ... 32767 is portable).
    case value(Int)

    public init(integerLiteral value: Int) { self = .value(value) }

    var mpiValue: Int32 {
        switch self {
        case .any: return cmpi_any_tag()
        case .value(let tag): return Int32(clamping: tag)
        }
    }
}

/// The envelope of a matched message: who sent it, with which tag, how long.
public struct MessageStatus: Sendable {
    /// The sender's rank.
    public let source: Int
    /// The message tag.
    public let tag: Int
    let status: MPI_Status

    init(_ status: MPI_Status) {
        self.status = status
        self.source = Int(status.MPI_SOURCE)
        self.tag = Int(status.MPI_TAG)
    }

    /// The number of `T` elements in the message (`MPI_Get_count`).
    public func count<T: MPIMessageElement>(of type: T.Type) throws(MPIError) -> Int {
        var status = self.status
        var count: Int32 = 0
        try checkMPI(MPI_Get_count(&status, T.mpiDatatype.handle, &count), "MPI_Get_count")
        guard count >= 0 else {
            throw MPIError(
                call: "MPI_Get_count", code: -1,
                message: "the message from rank \(source) (tag \(tag)) is not a whole number of \(T.self) elements")
        }
        return Int(count)
    }
}

/// A received message: its elements and its envelope.
public struct ReceivedMessage<Element: MPIMessageElement> {
    public let values: [Element]
    public let source: Int
    public let tag: Int
}

extension ReceivedMessage: Sendable where Element: Sendable {}
