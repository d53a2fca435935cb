package ossdriver

// RequiredActions are the OSS permissions the driver needs on the bucket:
// PutObject for uploads (multipart ones included), GetObject for downloads
// and HEAD requests, ListObjects for listing, DeleteObject for lock clean-up
// and pruning, and AbortMultipartUpload to discard a failed multipart upload.
// Deployment policies grant exactly these.
var RequiredActions = []string{
	"oss:PutObject",
	"oss:GetObject",
	"oss:ListObjects",
	"oss:DeleteObject",
	"oss:AbortMultipartUpload",
}
