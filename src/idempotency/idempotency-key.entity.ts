import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { ID_COLUMN, TimestampColumn } from '../db/columns';

export enum IdempotencyState {
  /** Claimed by a request whose mutation has committed nothing yet. */
  IN_PROGRESS = 'IN_PROGRESS',
  /** The mutation committed (the mark commits with its change); its response is not stored yet. */
  EXECUTED = 'EXECUTED',
  /** The response is stored; retries get it. */
  COMPLETED = 'COMPLETED',
}

/** One Idempotency-Key of one token: the request it stands for and, once executed, its response. */
@Entity('idempotency_key')
@Index(['expiresAt'])
export class IdempotencyKey {
  @PrimaryColumn(ID_COLUMN)
  tokenId!: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  key!: string;

  /** SHA-256 (hex) of the request's query, operation name and variables. */
  @Column({ type: 'varchar', length: 64 })
  requestHash!: string;

  /** The request (its `x-request-id`) that holds the key, or held it when it executed. */
  @Column(ID_COLUMN)
  requestId!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: IdempotencyState;

  @Column({ type: 'integer', nullable: true })
  responseStatus!: number | null;

  /** The JSON body sent to the request that executed; null until COMPLETED. */
  @Column({ type: 'text', nullable: true })
  responseBody!: string | null;

  @TimestampColumn()
  createdAt!: Date;

  @TimestampColumn()
  expiresAt!: Date;
}
