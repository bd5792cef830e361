package protocol

import (
	"bytes"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// This file checks the hand-written codec against google.golang.org/protobuf itself,
// with realtime.proto as the schema: random messages built over the schema and
// marshalled by the protobuf library must decode with this package and re-encode
// to the same bytes, and this package's encoding must unmarshal to an equal message.
// It ties the codec, the .proto file and the real protobuf encoding together.

// loadRealtimeProto parses realtime.proto (the subset of the language it uses) into
// a file descriptor.
func loadRealtimeProto(t *testing.T) protoreflect.FileDescriptor {
	t.Helper()
	protoField := regexp.MustCompile(`^(repeated\s+)?(\w+)\s+(\w+)\s*=\s*(\d+)\s*;$`)
	protoOpen := regexp.MustCompile(`^(message|oneof)\s+(\w+)\s*\{$`)
	protoScalars := map[string]descriptorpb.FieldDescriptorProto_Type{
		"sint32": descriptorpb.FieldDescriptorProto_TYPE_SINT32,
		"int32":  descriptorpb.FieldDescriptorProto_TYPE_INT32,
		"uint32": descriptorpb.FieldDescriptorProto_TYPE_UINT32,
		"int64":  descriptorpb.FieldDescriptorProto_TYPE_INT64,
		"bool":   descriptorpb.FieldDescriptorProto_TYPE_BOOL,
		"string": descriptorpb.FieldDescriptorProto_TYPE_STRING,
		"bytes":  descriptorpb.FieldDescriptorProto_TYPE_BYTES,
	}
	src, err := os.ReadFile("realtime.proto")
	if err != nil {
		t.Fatal(err)
	}
	const pkg = "com.gamelift.rt.proto"
	fd := &descriptorpb.FileDescriptorProto{
		Name: proto.String("realtime.proto"), Package: proto.String(pkg), Syntax: proto.String("proto3"),
	}
	var msg *descriptorpb.DescriptorProto
	inOneof := false
	for i, line := range strings.Split(string(src), "\n") {
		if c := strings.Index(line, "//"); c >= 0 {
			line = line[:c]
		}
		line = strings.TrimSpace(line)
		switch m, f := protoOpen.FindStringSubmatch(line), protoField.FindStringSubmatch(line); {
		case line == "" || strings.HasPrefix(line, "syntax") || strings.HasPrefix(line, "package") ||
			strings.HasPrefix(line, "option"):
		case m != nil && m[1] == "message":
			msg = &descriptorpb.DescriptorProto{Name: proto.String(m[2])}
			fd.MessageType = append(fd.MessageType, msg)
		case m != nil:
			msg.OneofDecl = append(msg.OneofDecl, &descriptorpb.OneofDescriptorProto{Name: proto.String(m[2])})
			inOneof = true
		case line == "}" && inOneof:
			inOneof = false
		case line == "}":
			msg = nil
		case f != nil && msg != nil:
			num, _ := strconv.Atoi(f[4])
			field := &descriptorpb.FieldDescriptorProto{
				Name: proto.String(f[3]), JsonName: proto.String(f[3]), Number: proto.Int32(int32(num)),
				Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
			}
			if f[1] != "" {
				field.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
			}
			if typ, ok := protoScalars[f[2]]; ok {
				field.Type = typ.Enum()
			} else {
				field.Type = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
				field.TypeName = proto.String("." + pkg + "." + f[2])
			}
			if inOneof {
				field.OneofIndex = proto.Int32(int32(len(msg.OneofDecl) - 1))
			}
			msg.Field = append(msg.Field, field)
		default:
			t.Fatalf("realtime.proto:%d: cannot parse %q", i+1, line)
		}
	}
	file, err := protodesc.NewFile(fd, nil)
	if err != nil {
		t.Fatalf("realtime.proto: %v", err)
	}
	return file
}

// randomMessage fills every field of a new message of type md with random values,
// picking one oneof member (or none) at random.
func randomMessage(r *rand.Rand, md protoreflect.MessageDescriptor) *dynamicpb.Message {
	m := dynamicpb.NewMessage(md)
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.ContainingOneof() != nil || r.IntN(4) == 0 {
			continue
		}
		if fd.IsList() {
			list := m.Mutable(fd).List()
			for n := r.IntN(6); n > 0; n-- {
				list.Append(randomScalar(r, fd))
			}
			continue
		}
		m.Set(fd, randomScalar(r, fd))
	}
	if oneofs := md.Oneofs(); oneofs.Len() > 0 {
		members := oneofs.Get(0).Fields()
		if k := r.IntN(members.Len() + 1); k < members.Len() {
			fd := members.Get(k)
			m.Set(fd, protoreflect.ValueOfMessage(randomMessage(r, fd.Message())))
		}
	}
	return m
}

func randomScalar(r *rand.Rand, fd protoreflect.FieldDescriptor) protoreflect.Value {
	small := []int64{-1, 0, 1, 2, 127, 128, 300, 1 << 31 / 2}
	pick := func() int64 {
		if r.IntN(2) == 0 {
			return small[r.IntN(len(small))]
		}
		return int64(r.Uint64())
	}
	switch fd.Kind() {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind:
		return protoreflect.ValueOfInt32(int32(pick()))
	case protoreflect.Uint32Kind:
		return protoreflect.ValueOfUint32(uint32(pick()))
	case protoreflect.Int64Kind:
		return protoreflect.ValueOfInt64(pick())
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(r.IntN(2) == 0)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(strings.Repeat("psess-é", r.IntN(4)))
	case protoreflect.BytesKind:
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return protoreflect.ValueOfBytes(b)
	}
	panic("realtime.proto uses an unexpected kind: " + fd.Kind().String())
}

func TestConformanceWithProtobuf(t *testing.T) {
	file := loadRealtimeProto(t)
	packetDesc := file.Messages().ByName("Packet")
	if packetDesc == nil {
		t.Fatal("realtime.proto has no Packet")
	}
	r := rand.New(rand.NewPCG(1, 2))
	var p Packet
	for i := range 3000 {
		want := randomMessage(r, packetDesc)
		ref, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		if err := DecodePacketBody(ref, &p); err != nil {
			t.Fatalf("case %d: decoding protobuf's %x: %v", i, ref, err)
		}
		frame := AppendPacket(nil, &p)
		body := frame[len(frame)-p.Size():]
		if !bytes.Equal(body, ref) {
			t.Fatalf("case %d: re-encoding differs from protobuf:\n got %x\nwant %x", i, body, ref)
		}
		got := dynamicpb.NewMessage(packetDesc)
		if err := proto.Unmarshal(body, got); err != nil {
			t.Fatalf("case %d: protobuf cannot decode ours: %v", i, err)
		}
		if !proto.Equal(got, want) {
			t.Fatalf("case %d: protobuf decodes ours to %v, want %v", i, got, want)
		}
	}
}

// TestProtoMatchesSamples checks every sample packet against protobuf's decoding:
// our encoding unmarshals with the library and marshals back to the same bytes.
func TestProtoMatchesSamples(t *testing.T) {
	packetDesc := loadRealtimeProto(t).Messages().ByName("Packet")
	for name, p := range samplePackets() {
		frame := AppendPacket(nil, p)
		body := frame[len(frame)-p.Size():]
		m := dynamicpb.NewMessage(packetDesc)
		if err := proto.Unmarshal(body, m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		again, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil || !bytes.Equal(again, body) {
			t.Fatalf("%s: protobuf re-encodes to %x (err %v), want %x", name, again, err, body)
		}
	}
}
