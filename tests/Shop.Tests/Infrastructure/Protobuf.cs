using System.Buffers.Binary;
using System.Text;

namespace Shop.Tests.Infrastructure;

/// <summary>
/// The protobuf wire format, just enough to read OTLP export requests by field number (no generated classes: the
/// test only needs a few fields of spans and metric points).
/// </summary>
public static class Protobuf
{
    public readonly record struct Field(int Number, ulong Value, ReadOnlyMemory<byte> Bytes)
    {
        public string String => Encoding.UTF8.GetString(Bytes.Span);
        public string Hex => Convert.ToHexStringLower(Bytes.Span);
        public double Double => BitConverter.Int64BitsToDouble((long)Value);
    }

    public static IEnumerable<Field> Fields(ReadOnlyMemory<byte> message)
    {
        var position = 0;
        while (position < message.Length)
        {
            var key = Varint(message.Span, ref position);
            var number = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    yield return new Field(number, Varint(message.Span, ref position), default);
                    break;
                case 1:
                    yield return new Field(number, BinaryPrimitives.ReadUInt64LittleEndian(message.Span[position..]), default);
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(message.Span, ref position);
                    yield return new Field(number, 0, message.Slice(position, length));
                    position += length;
                    break;
                case 5:
                    yield return new Field(number, BinaryPrimitives.ReadUInt32LittleEndian(message.Span[position..]), default);
                    position += 4;
                    break;
                default:
                    throw new FormatException($"Unsupported wire type {key & 7} at {position}.");
            }
        }
    }

    public static IEnumerable<ReadOnlyMemory<byte>> Messages(ReadOnlyMemory<byte> message, int number) =>
        Fields(message).Where(f => f.Number == number).Select(f => f.Bytes);

    /// <summary>OTLP <c>KeyValue</c> attributes (field <paramref name="number"/>) as strings; non-string values in invariant form.</summary>
    public static Dictionary<string, string> Attributes(ReadOnlyMemory<byte> message, int number)
    {
        var attributes = new Dictionary<string, string>();
        foreach (var pair in Messages(message, number))
        {
            var fields = Fields(pair).ToList();
            var key = fields.First(f => f.Number == 1).String;
            var value = fields.Where(f => f.Number == 2).Select(f => Fields(f.Bytes).FirstOrDefault()).FirstOrDefault();
            attributes[key] = value.Number switch
            {
                1 => value.String,
                2 => (value.Value != 0).ToString(),
                3 => ((long)value.Value).ToString(System.Globalization.CultureInfo.InvariantCulture),
                4 => value.Double.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => "",
            };
        }
        return attributes;
    }

    private static ulong Varint(ReadOnlySpan<byte> buffer, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = buffer[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
