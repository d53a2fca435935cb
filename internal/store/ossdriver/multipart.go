package ossdriver

import (
	"context"
	"io"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/credreport/credreport/internal/store/driver"
)

// putMultipart uploads size bytes from src in parts of Config.PartSize
// (grown when more than 10,000 parts would be needed), reading each part
// straight from src, so the object is never held in memory. With
// IfNotExists, x-oss-forbid-overwrite is sent on the initiation and on the
// completion, so an object created meanwhile is not replaced. On failure
// the upload is aborted.
func (d *Driver) putMultipart(ctx context.Context, b *oss.Bucket, key string, src *sourceReader, size int64, opts driver.PutOptions) error {
	partSize := d.cfg.PartSize
	if parts := (size + partSize - 1) / partSize; parts > maxParts {
		partSize = (size + maxParts - 1) / maxParts
	}

	var upload oss.InitiateMultipartUploadResult
	initOptions := d.objectOptions(opts)
	err := d.run(ctx, "put", key, false, func(rctx context.Context) error {
		var err error
		upload, err = b.InitiateMultipartUpload(key, append(initOptions, oss.WithContext(rctx))...)
		return err
	})
	if err != nil {
		return err
	}

	var parts []oss.UploadPart
	for number, offset := 1, int64(0); offset < size; number++ {
		n := min(partSize, size-offset)
		var part oss.UploadPart
		err := d.run(ctx, "put", key, false, func(rctx context.Context) error {
			var err error
			part, err = b.UploadPart(upload, io.LimitReader(src, n), n, number, oss.WithContext(rctx))
			return err
		})
		if err != nil {
			d.abort(ctx, b, upload)
			return src.check("put", key, size, err)
		}
		parts = append(parts, part)
		offset += n
	}

	var completeOptions []oss.Option
	if opts.IfNotExists {
		completeOptions = append(completeOptions, oss.ForbidOverWrite(true))
	}
	err = d.run(ctx, "put", key, false, func(rctx context.Context) error {
		_, err := b.CompleteMultipartUpload(upload, parts, append(completeOptions, oss.WithContext(rctx))...)
		return err
	})
	if err != nil {
		d.abort(ctx, b, upload)
		return err
	}
	return nil
}

// abort cancels a multipart upload even when ctx has ended, so its parts
// stop taking space. Its own error is dropped: the caller returns the
// error that made the upload fail.
//
// NOTE: an upload whose abort fails stays in the bucket until a lifecycle
// rule removes incomplete multipart uploads; configure one on the bucket.
func (d *Driver) abort(ctx context.Context, b *oss.Bucket, upload oss.InitiateMultipartUploadResult) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.cfg.RequestTimeout)
	defer cancel()
	_ = b.AbortMultipartUpload(upload, oss.WithContext(actx))
}
